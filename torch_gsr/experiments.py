r"""Experiments shared by the ``torch-gsr`` command and the examples: a
cross-validation run written to a folder (tables, checkpoints, figures),
its figures, and prediction files. Nothing here parses arguments."""
import functools
import glob
import math
import os
import os.path as osp
import shutil
import statistics
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from .config import FitConfig
from .config.models import DEFAULT_PRESET
from .datasets import write_challenge_csv, write_challenge_mat, write_numpy, write_submission_csv
from .distributed import is_main_process
from .metrics import mean_squared_error
from .nn import MODELS
from .plot import plot_mse_bars, plot_subject, plot_training_curves, representative_subject
from .train import (
    BASELINES,
    ConnectomeTensors,
    CVResult,
    History,
    cross_validate,
    fit,
    load_checkpoint,
    predict,
)
from .train.options import fit_config, planned_epochs
from .utils.io import atomic_path, load_torch_file
from .utils.progress import note

# What the example and ``torch-gsr cv`` compare unless told otherwise: the
# paper's model and the package's most accurate one; the others cost more
# time (STP-GSR about 20x GSR-Net's per epoch) or lose to the mean.
DEFAULT_MODELS = ('GSRNet', 'NodeMapGSR')

FIGURES = ('fig2_subject.png', 'mse_bars.png', 'training_curves.png')
FIGURE_DATA = 'figure_data.pt'
PREDICTION_EXTENSIONS = ('.npy', '.npz', '.csv', '.mat')
FIT_FIELDS = ('preset',) + tuple(FitConfig.__dataclass_fields__)


def model_factories(names: Sequence[str], lr_nodes: int, hr_nodes: int,
                    preset: str = DEFAULT_PRESET) -> Dict[str, Callable]:
    r"""``{name: factory}``: each factory builds an untrained model ``name``
    with the preset's model options."""
    return {name: functools.partial(MODELS[name], lr_nodes, hr_nodes,
                                    preset=preset)
            for name in names}


def train_model(dataset, name: str, seed: int = 0, **fit_kwargs):
    r"""Builds model ``name`` (from :obj:`~torch_gsr.nn.MODELS`, sized
    to ``dataset``, with the preset's options) after seeding torch with
    ``seed``, and trains it with :func:`~torch_gsr.train.fit`.

    Returns:
        (GSRModel, History)
    """
    data = ConnectomeTensors.from_data(dataset)
    hr_adj = data.require_hr('training')
    factory = model_factories([name], data.lr_adj.size(-1), hr_adj.size(-1),
                              fit_kwargs.get('preset', DEFAULT_PRESET))[name]
    torch.manual_seed(seed)
    model = factory()
    history = fit(model, data, seed=seed, **fit_kwargs)
    return model, history


def evaluation_csv(evaluation) -> str:
    r"""An :class:`~torch_gsr.metrics.Evaluation`'s summary as CSV text:
    ``metric,mean,std``, a row per metric."""
    lines = ['metric,mean,std'] + [f'{name},{mean:.6g},{std:.6g}'
                                   for name, (mean, std) in evaluation.summary.items()]
    return '\n'.join(lines) + '\n'


# ------------------------------------------------------- cross-validation --

def _timed_fit(factory: Callable, sample: ConnectomeTensors,
               fit_kwargs: dict) -> Tuple[float, float]:
    r"""``(one-time seconds, seconds per epoch)`` of :func:`fit` on
    ``sample``: the median epoch after the first (which pays one-time
    costs), over enough epochs (a second at least) to time under a
    varying load."""
    epochs = 3
    while True:
        began = time.perf_counter()
        # Every epoch asked for runs (stop_after=1): a run cut by early
        # stopping would never add up to the second asked for.
        history = fit(factory(), sample, epochs=epochs, progress=False,
                      **dict(fit_kwargs, stop_after=1.))
        elapsed = time.perf_counter() - began
        warm = history['time'][1:]
        if sum(warm) >= 1 or epochs >= 50:
            return elapsed - sum(history['time']), statistics.median(warm)
        epochs = min(50, 2 + math.ceil(len(warm) / max(sum(warm), 1e-3)))


def estimate_cv_seconds(factories: Dict[str, Callable], data: ConnectomeTensors,
                        folds: int, **fit_kwargs) -> Tuple[float, float]:
    r"""The shortest and the longest run time of :func:`run_cross_validation`
    in seconds: every fold stopped early as soon as ``stop_after`` allows, or
    no fold stopped early. Times every model's epochs on two sample sizes,
    splits an epoch's time into a part per subject and a part per epoch,
    and scales both to the whole run, plus each fit's one-time costs once
    per fold."""
    explicit = {k: v for k, v in fit_kwargs.items() if k in FIT_FIELDS}
    first = next(iter(factories.values()))()
    small = min(data.num_subjects, max(4, fit_config(first, **explicit).batch_size))
    large = min(data.num_subjects, 3 * small)
    began = time.perf_counter()
    samples = [data.subset(torch.arange(n)).with_spectra() for n in (small, large)]
    once = (time.perf_counter() - began) * data.num_subjects / (small + large)
    train_subjects = data.num_subjects * (folds - 1) / folds
    timed = {k: v for k, v in fit_kwargs.items() if k != 'epochs'}
    shortest = longest = once
    for factory in factories.values():
        # Each model trains with its own fit preset (its epochs, patience).
        config = fit_config(factory(), **explicit)
        # fit holds out its validation share before planning the epochs.
        fit_subjects = round(train_subjects) - round(config.val_fraction * round(train_subjects))
        epochs = planned_epochs(config, fit_subjects)
        stops_early = config.patience is not None and config.val_fraction > 0
        fewest = (max(math.ceil(config.stop_after * epochs),
                      config.warm_up + (config.patience or 0))
                  if stops_early else epochs)
        (once_small, epoch_small), (once_large, epoch_large) = (
            _timed_fit(factory, sample, timed) for sample in samples)
        # t(n) = a + b n through both sizes, neither part below zero
        b = (max(epoch_large - epoch_small, 0) / (large - small) if large > small
             else epoch_small / small)
        a = max(epoch_small - b * small, 0)
        per_epoch = folds * (a + b * train_subjects)
        fixed = folds * max(once_small, once_large)
        shortest += fixed + per_epoch * max(fewest, 1)
        longest += fixed + per_epoch * epochs
    return shortest, longest


def run_cross_validation(dataset, models: Sequence[str], out: str, folds: int = 5,
                         seed: int = 0, protocol: str = 'subject',
                         topology: Optional[bool] = None, progress: bool = True,
                         log: Callable[[str], None] = print,
                         fold_order: str = 'seeded', fold_seed: int = 42,
                         **fit_kwargs) -> CVResult:
    r"""Cross-validates ``models`` and the baselines on identical folds and
    writes everything to the folder ``out``: ``results.csv`` and
    ``results.md`` (every metric, mean and std over folds), ``<model>.pt``
    (the checkpoint of the model trained in the **last fold**, loadable
    with :func:`~torch_gsr.train.load_checkpoint`), the figures
    :obj:`FIGURES` and ``figure_data.pt`` (what ``torch-gsr plot`` redraws
    them from). Logs the estimated run time first (unless ``progress`` is
    off).

    The run is resumable: ``out/checkpoints`` holds the state of an
    unfinished run (:mod:`torch_gsr.train.cv_state`), and the same call
    continues it (finished folds re-used, an interrupted one resumed from
    its last epoch) to the same tables; it is removed once the run is done.

    Args:
        dataset: paired data (anything :func:`cross_validate` accepts).
        models (sequence of str): names from :obj:`~torch_gsr.nn.MODELS`.
        out (str): output folder.
        folds (int): number of folds.
        seed (int): seeds the folds, the models and the training.
        protocol (str): ``'subject'`` or ``'challenge'`` metrics.
        topology (bool, optional): centrality errors (default: with the
            challenge protocol only).
        progress (bool): report every phase (:mod:`torch_gsr.utils.progress`).
        log (callable): receives the messages.
        fold_order (str): the folds, as in :func:`cross_validate`.
        fold_seed (int): ``'shuffled'``'s ``random_state``.
        **fit_kwargs: ``groups``, ``split``, ``gap`` for :func:`cross_validate`;
            ``preset``, ``epochs``, ``batch_size``, ``learning_rate``,
            ``device``, ``distributed`` for :func:`~torch_gsr.train.fit`
            (under ``distributed``, only rank 0 writes files).
    """
    # The groups go with the data, so that the timed samples keep theirs.
    data = ConnectomeTensors.from_data(dataset, fit_kwargs.pop('groups', None))
    hr_adj = data.require_hr('cross-validation')
    factories = model_factories(models, data.lr_adj.size(-1), hr_adj.size(-1),
                                fit_kwargs.get('preset', DEFAULT_PRESET))
    checkpoint_dir = osp.join(out, 'checkpoints')
    if progress:  # every rank times the epochs: under torchrun fit is collective
        shortest, longest = estimate_cv_seconds(factories, data, folds, **fit_kwargs)
        finished = glob.glob(osp.join(checkpoint_dir, '*.result.pt'))
        runs = folds * (len(models) + len(BASELINES))
        if is_main_process():
            log(f"{folds}-fold CV of {', '.join(models)} and the baselines on "
                f"{data.num_subjects} subjects ({data.lr_adj.size(-1)} -> "
                f"{hr_adj.size(-1)} nodes); estimated time: about "
                f"{_duration(longest)} ({_duration(shortest)} if every fold "
                f"stops early; from timed epochs)")
            if osp.isdir(checkpoint_dir):
                log(f"continuing the unfinished run in {checkpoint_dir} "
                    f"({len(finished)} of {runs} (method, fold) runs finished)")
    result = cross_validate(factories, data, folds=folds, seed=seed,
                            protocol=protocol, topology=topology,
                            progress=progress, checkpoint_dir=checkpoint_dir,
                            fold_order=fold_order, fold_seed=fold_seed, **fit_kwargs)
    result.to_csv(osp.join(out, 'results.csv'))
    result.to_markdown(osp.join(out, 'results.md'))
    if not is_main_process():
        return result
    order = torch.cat(result.test_indices)
    figure_data = build_figure_data(
        hr_adj[order].cpu(),
        {name: torch.cat(preds) for name, preds in result.predictions.items()},
        [subjects.tolist() for subjects in _fold_positions(result.test_indices)],
        result.histories, [data.subjects[i] for i in order.tolist()])
    save_figure_data(figure_data, out)
    note(f"drawing {', '.join(FIGURES)}", enabled=progress)
    plot_figures(figure_data, out)
    # Last: until everything is written, the run can still be resumed.
    _keep_last_fold_checkpoints(checkpoint_dir, out, models, folds)
    return result


def _duration(seconds: float) -> str:
    return f'{seconds / 60:.1f} min' if seconds >= 60 else f'{seconds:.0f} s'


def _fold_positions(test_indices: List[torch.Tensor]) -> List[torch.Tensor]:
    r"""Positions of each fold's subjects in the concatenation of folds."""
    sizes = [len(indices) for indices in test_indices]
    return list(torch.arange(sum(sizes)).split(sizes))


def _keep_last_fold_checkpoints(checkpoint_dir: str, out: str,
                                models: Sequence[str], folds: int) -> None:
    for name in models:
        os.replace(osp.join(checkpoint_dir, f'{name}-fold{folds - 1}.pt'),
                   osp.join(out, f'{name}.pt'))
    shutil.rmtree(checkpoint_dir)


def summary_lines(result: CVResult, table_path: str) -> List[str]:
    r"""The Markdown results table and, per model, whether it beats the
    mean-HR baseline on MAE and PCC."""
    with open(table_path) as f:
        lines = f.read().splitlines()
    for name in result.histories:
        beats = result.beats_baseline(name)
        verdict = ', '.join(f"{'beats' if beats[m] else 'does NOT beat'} it on "
                            f"{m.upper()}" for m in ('mae', 'pcc'))
        lines.append(f"{name} vs the mean-HR baseline: {verdict}")
    return lines


# ------------------------------------------------------------------ figures --

def build_figure_data(hr_adj: torch.Tensor, predictions: Dict[str, torch.Tensor],
                      groups: List[List[int]],
                      histories: Mapping[str, Sequence[History]],
                      subjects: List[str], group_name: str = 'fold',
                      run_name: str = 'fold') -> dict:
    r"""What :func:`plot_figures` draws, from ``hr_adj`` ``[S, N, N]``, the
    predictions of every method for the same subjects, ``groups`` of subject
    positions (each a ``group_name``, e.g. a fold) over which the MSE's mean
    and std are taken, training ``histories`` (one per ``run_name``, e.g.
    fold or checkpoint) and the subject ids. The Fig. 2 subject is the one
    of median MSE under the first method."""
    errors = {name: mean_squared_error(pred, hr_adj)
              for name, pred in predictions.items()}
    first = next(iter(errors))
    shown = representative_subject(errors[first])
    mse = {}
    for name, values in errors.items():
        per_group = torch.stack([values[group].mean() for group in groups])
        mse[name] = (float(per_group.mean()), float(per_group.std(correction=0)))
    detail = f'median MSE of {first}'
    if group_name == 'fold':
        fold = next(k for k, group in enumerate(groups) if shown in group)
        detail = f'test fold {fold + 1} of {len(groups)}, {detail}'
    # clone: a saved view would carry the storage of every subject
    return dict(subject=subjects[shown], subject_detail=detail,
                hr_adj=hr_adj[shown].clone(),
                predictions={name: pred[shown].clone()
                             for name, pred in predictions.items()},
                mse=mse, spread=f'{group_name}s', run_name=run_name,
                histories={name: [h.to_dict() for h in runs]
                           for name, runs in histories.items()})


def save_figure_data(figure_data: dict, folder: str) -> None:
    """Saves what :func:`plot_figures` draws to ``folder``, atomically."""
    with atomic_path(osp.join(folder, FIGURE_DATA)) as tmp:
        torch.save(figure_data, tmp)


def load_figure_data(folder: str) -> dict:
    r"""The figure data a :func:`run_cross_validation` run saved in ``folder``."""
    path = osp.join(folder, FIGURE_DATA)
    if not osp.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (is {folder} the output "
                                f"folder of 'torch-gsr cv'?)")
    figure_data = load_torch_file(path, "figure data file of 'torch-gsr cv'")
    missing = [key for key in ('subject', 'hr_adj', 'predictions', 'mse',
                               'histories')
               if not isinstance(figure_data, dict) or key not in figure_data]
    if missing:
        raise ValueError(f"{path}: not figure data of 'torch-gsr cv' (no "
                         f"{missing})")
    return figure_data


def plot_figures(figure_data: dict, folder: str) -> List[str]:
    r"""Draws :obj:`FIGURES` into ``folder``; returns their paths."""
    paths = [osp.join(folder, name) for name in FIGURES]
    # Figure data written before the captions were recorded came from CV.
    plot_subject(paths[0], figure_data['hr_adj'], figure_data['predictions'],
                 figure_data['subject'], figure_data.get('subject_detail'))
    plot_mse_bars(paths[1], figure_data['mse'], figure_data.get('spread', 'folds'))
    plot_training_curves(paths[2], {
        name: [History.from_dict(h) for h in runs]
        for name, runs in figure_data['histories'].items()},
        figure_data.get('run_name', 'fold'))
    return paths


def checkpoint_figure_data(checkpoints: Sequence[str], dataset,
                           device=None, progress: bool = False) -> dict:
    r"""What :func:`plot_figures` draws for trained ``checkpoints`` (paths)
    evaluated on the paired ``dataset``, one group per subject. Methods are
    named after their model (``model_config['name']``), with the file name
    added when two checkpoints hold the same model."""
    data = ConnectomeTensors.from_data(dataset)
    hr_adj = data.require_hr('plot')
    loaded = [(path, *load_checkpoint(path)) for path in checkpoints]
    names = [checkpoint['model_config']['name'] for _, _, checkpoint in loaded]
    predictions: Dict[str, torch.Tensor] = {}
    histories: Dict[str, Sequence[History]] = {}
    for (path, model, checkpoint), name in zip(loaded, names, strict=True):
        if names.count(name) > 1:
            name = f'{name} ({osp.basename(path)})'
        predictions[name] = predict(model, data, device=device, progress=progress)
        histories[name] = [History.from_dict(checkpoint['history'])]
    groups = [[i] for i in range(data.num_subjects)]
    return build_figure_data(hr_adj.cpu(), predictions, groups, histories,
                             data.subjects, group_name='subject',
                             run_name='checkpoint')


# ---------------------------------------------------------------- predictions --

def write_predictions(path: str, hr_adj: torch.Tensor, order: str = 'tril',
                      submission: bool = False) -> None:
    r"""Writes predictions ``[S, N, N]`` in the format of ``path``'s extension
    (``.npy``, ``.npz`` under key ``hr``, challenge ``.csv``, ``.mat`` under
    key ``HR``), or with ``submission`` as the challenge's ``ID,Predicted``
    CSV."""
    extension = osp.splitext(path)[1].lower()
    if submission:
        if extension != '.csv':
            raise ValueError(f"{path}: a submission is a .csv file")
        write_submission_csv(path, hr_adj, order)
    elif extension == '.npy':
        write_numpy(path, hr_adj.numpy())
    elif extension == '.npz':
        write_numpy(path, hr=hr_adj.numpy())
    elif extension == '.csv':
        write_challenge_csv(path, hr_adj, order)
    elif extension == '.mat':
        write_challenge_mat(path, hr_adj, 'HR', order)
    else:
        raise ValueError(f"{path}: unknown prediction format {extension!r} "
                         f"(expected one of {PREDICTION_EXTENSIONS})")


def default_prediction_path(lr_path: Optional[str], submission: bool) -> str:
    r"""``hr_predictions`` with the extension of ``lr_path`` (``.npy`` for
    folders and synthetic data; ``.csv`` for a submission)."""
    extension = '.npy'
    if submission:
        extension = '.csv'
    elif lr_path is not None and osp.splitext(lr_path)[1].lower() in \
            PREDICTION_EXTENSIONS:
        extension = osp.splitext(lr_path)[1].lower()
    return f'hr_predictions{extension}'
