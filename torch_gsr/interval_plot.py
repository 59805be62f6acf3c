r"""The figure of one subject's prediction intervals: the predicted HR
connectome beside the width of each edge's interval (and, with the true
connectome, the edges it misses)."""
from typing import Optional

import torch
from matplotlib.figure import Figure
from torch import Tensor

from .metrics import interval_coverage, interval_width
from .plot import save_figure


def plot_intervals(path: str, prediction: Tensor, lower: Tensor, upper: Tensor,
                   hr_adj: Optional[Tensor] = None, subject: Optional[str] = None,
                   coverage: Optional[float] = None) -> Figure:
    r"""Saves the predicted HR connectome beside its interval width
    ``upper - lower`` (a third panel with ``hr_adj``: the edges outside
    their interval, with the share inside in the title).

    Args:
        path (str): PNG file to write.
        prediction (Tensor): ``[N_h, N_h]`` predicted HR connectome.
        lower (Tensor): ``[N_h, N_h]`` lower bounds.
        upper (Tensor): ``[N_h, N_h]`` upper bounds.
        hr_adj (Tensor, optional): ``[N_h, N_h]`` the true connectome.
            (default: :obj:`None`)
        subject (str, optional): subject id for the title.
            (default: :obj:`None`)
        coverage (float, optional): the intervals' nominal coverage, for
            the titles. (default: :obj:`None`)

    Returns:
        Figure: the saved figure.
    """
    tensors = [torch.as_tensor(t).double() for t in (prediction, lower, upper)]
    if hr_adj is not None:
        tensors.append(torch.as_tensor(hr_adj).double())
    shape = tensors[0].shape
    if len(shape) != 2 or shape[0] != shape[1] or any(t.shape != shape for t in tensors):
        raise ValueError(f"prediction, lower, upper (and hr_adj) must be one "
                         f"[N, N] shape, got {[list(t.shape) for t in tensors]}")
    prediction, lower, upper = tensors[:3]
    nominal = '' if coverage is None else f'{coverage:.0%} '
    mean_width = float(interval_width(lower[None], upper[None])[0])
    panels = [(prediction.numpy(), 'predicted HR', 'viridis'),
              ((upper - lower).numpy(), f'{nominal}interval width (mean {mean_width:.3g})',
               'magma')]
    if hr_adj is not None:
        truth = tensors[3]
        outside = ((truth < lower) | (truth > upper)).double()
        inside = float(interval_coverage(lower[None], upper[None], truth[None])[0])
        panels.append((outside.numpy(), f'true edge outside ({inside:.1%} inside)',
                       'Greys'))
    figure = Figure(figsize=(4.2 * len(panels), 4))
    for axes, (image, title, cmap) in zip(figure.subplots(1, len(panels)), panels,
                                          strict=True):
        shown = axes.imshow(image, cmap=cmap)
        figure.colorbar(shown, ax=axes, fraction=0.046)
        axes.set(title=title, xticks=[], yticks=[])
    if subject is not None:
        figure.suptitle(f'subject {subject}')
    save_figure(figure, path)
    return figure
