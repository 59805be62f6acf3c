r"""Figures of a GSR experiment, written as PNG files (matplotlib).

* :func:`plot_subject`: the paper's Fig. 2, ground-truth HR, predicted HR
  and residual error of one test subject, one row per method.
* :func:`plot_mse_bars`: mean MSE per method with std error bars.
* :func:`plot_training_curves`: the training and validation loss terms per
  epoch, per method and training run (fold).

Every function saves atomically (a complete file or none).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import matplotlib
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from .train import History, loss_terms
from .utils.io import atomic_path


def save_figure(fig, path: str) -> None:
    r"""Saves ``fig`` as PNG to ``path`` atomically, then closes it."""
    # Figures are built with matplotlib's object API, never pyplot: no
    # global figure registry to close and the user's backend is left alone.
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format='png', dpi=100, bbox_inches='tight')


def representative_subject(errors: Tensor) -> int:
    r"""Index of the subject whose error is the median of ``errors`` ``[S]``:
    neither the best nor the worst case."""
    return int(torch.as_tensor(errors).argsort()[(len(errors) - 1) // 2])


def plot_subject(path: str, hr_adj: Tensor, predictions: Dict[str, Tensor],
                 subject: Optional[str] = None,
                 detail: Optional[str] = None) -> Figure:
    r"""The paper's Fig. 2 for one subject: a row per method with the
    ground-truth HR connectome, the method's prediction and the residual
    ``|prediction - ground truth|``. Connectomes share one colour scale,
    residuals another.

    Args:
        path (str): PNG file to write.
        hr_adj (Tensor): ``[N_h, N_h]`` ground truth.
        predictions (dict): method name -> ``[N_h, N_h]`` prediction.
        subject (str, optional): subject id for the title.
        detail (str, optional): why this subject, e.g. its fold, for the
            title.

    Returns:
        Figure: the saved figure.
    """
    truth = torch.as_tensor(hr_adj).double().numpy()
    preds = {name: torch.as_tensor(p).double().numpy()
             for name, p in predictions.items()}
    residuals = {name: abs(p - truth) for name, p in preds.items()}
    vmax = max([float(truth.max())] + [float(p.max()) for p in preds.values()])
    vmin = min([float(truth.min())] + [float(p.min()) for p in preds.values()])
    rmax = max(float(r.max()) for r in residuals.values())

    fig = Figure(figsize=(9, 3 * len(preds)), layout='constrained')
    axes = fig.subplots(len(preds), 3, squeeze=False)
    for row, name in zip(axes, preds, strict=True):
        images = [row[0].imshow(truth, vmin=vmin, vmax=vmax, cmap='viridis'),
                  row[1].imshow(preds[name], vmin=vmin, vmax=vmax, cmap='viridis'),
                  row[2].imshow(residuals[name], vmin=0, vmax=rmax, cmap='magma')]
        titles = ('ground truth HR', f'{name}: predicted HR', f'{name}: |error|')
        for ax, image, title in zip(row, images, titles, strict=True):
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            fig.colorbar(image, ax=ax, fraction=0.046,
                         label='|error|' if ax is row[2] else 'edge weight')
    if subject is not None:
        fig.suptitle(f'subject {subject}' + (f' ({detail})' if detail else ''))
    save_figure(fig, path)
    return fig


def plot_mse_bars(path: str, mse: Dict[str, Tuple[float, float]],
                  spread: str = 'folds') -> Figure:
    r"""Bar chart of the mean MSE per method with std error bars.

    Args:
        path (str): PNG file to write.
        mse (dict): method name -> ``(mean, std)``.
        spread (str): what the mean and std are over (``"folds"``,
            ``"subjects"``), named on the axis.

    Returns:
        Figure: the saved figure.
    """
    names = list(mse)
    means = [mse[name][0] for name in names]
    stds = [mse[name][1] for name in names]
    fig = Figure(figsize=(1.2 * len(names) + 2, 4))
    ax = fig.subplots()
    ax.bar(range(len(names)), means, yerr=stds, capsize=4, color='tab:blue')
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha='right')
    ax.set_ylabel(f'MSE (mean ± std over {spread})')
    ax.set_xlabel('method')
    ax.set_title('test MSE per method')
    save_figure(fig, path)
    return fig


def plot_training_curves(path: str, histories: Dict[str, Union[History,
                                                               Sequence[History]]],
                         run_name: str = 'fold') -> Figure:
    r"""One panel per loss term the methods have (of ``total``, ``hr``,
    ``eig``, ``rec``; a term that is zero in every epoch of a method's runs
    is one it does not have), one colour per method, one line per training
    run: the training loss solid, the validation loss (when the run held
    out validation subjects) dashed.

    Args:
        path (str): PNG file to write.
        histories (dict): method name -> a :class:`History` or a list of them.
        run_name (str): what one run is (``"fold"``, ``"checkpoint"``),
            named in the legend and title.

    Returns:
        Figure: the saved figure.
    """
    runs_of: Dict[str, List[History]] = {}
    for name, runs in histories.items():
        for history in [runs] if isinstance(runs, History) else runs:
            # A model whose members trained alone: a line per member.
            for label, run in ([(f'{name}[{k}]', m) for k, m in enumerate(history.members)]
                               or [(name, history)]):
                runs_of.setdefault(label, []).append(run)
    # The terms each model names (total first), less those always zero.
    has = {name: [term for term in loss_terms(runs) if term == 'total' or any(
               value != 0 for history in runs for value in history[term])]
           for name, runs in runs_of.items()}
    terms = list(dict.fromkeys(term for t in has.values() for term in t))
    fig = Figure(figsize=(4 * len(terms), 3.8), layout='constrained')
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    colours = matplotlib.rcParams['axes.prop_cycle'].by_key()['color']
    validated = False
    for i, (name, runs) in enumerate(runs_of.items()):
        label = name if len(runs) == 1 else f'{name} ({len(runs)} {run_name}s)'
        colour = colours[i % len(colours)]
        for k, history in enumerate(runs):
            for ax, term in zip(axes, terms, strict=True):
                if term not in has[name]:
                    continue
                ax.plot(history['epoch'], history[term], color=colour,
                        alpha=0.8, label=label if k == 0 else None)
                epochs = [r['epoch'] for r in history.records if f'val_{term}' in r]
                if epochs:
                    validated = True
                    ax.plot(epochs, [r[f'val_{term}'] for r in history.records
                                     if f'val_{term}' in r],
                            color=colour, alpha=0.8, linestyle='--')
    for ax, term in zip(axes, terms, strict=True):
        ax.set_title(f'{term} loss')
        ax.set_xlabel('epoch')
        ax.set_ylabel(f'{term} loss')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(fontsize=8)
    what = ('training (solid) and validation (dashed) loss' if validated
            else 'training loss')
    fig.suptitle(f'{what} per epoch, one line per {run_name}')
    save_figure(fig, path)
    return fig
