r"""Per-subject coverage and width of per-edge prediction intervals."""
from typing import Tuple

import torch
from torch import Tensor

from ..utils.validation import check_adjacency
from .edges import _edges


def _check_bounds(lower, upper, names: Tuple[str, str] = ('lower', 'upper')
                  ) -> Tuple[Tensor, Tensor]:
    lower, upper = torch.as_tensor(lower), torch.as_tensor(upper)
    if lower.shape != upper.shape:
        raise ValueError(f"{names[0]} has shape {list(lower.shape)} but "
                         f"{names[1]} has shape {list(upper.shape)} (expected "
                         f"the same [B, N, N] for both)")
    return (check_adjacency(lower.double(), name=names[0], symmetric=False),
            check_adjacency(upper.double(), name=names[1], symmetric=False))


def interval_coverage(lower, upper, target, upper_triangle: bool = True) -> Tensor:
    r"""Per-subject share of true edges inside their intervals,

    .. math::
        \frac{1}{|E|} \sum_{e \in E}
        \mathbb{1}[l_e \le a_e \le u_e],

    over the strict upper triangle :math:`E` (or every entry).

    Args:
        lower (Tensor or ndarray): ``[B, N, N]`` lower bounds.
        upper (Tensor or ndarray): ``[B, N, N]`` upper bounds.
        target (Tensor or ndarray): ``[B, N, N]`` true connectomes.
        upper_triangle (bool): strict upper triangle or every entry.
            (default: :obj:`True`)

    Returns:
        Tensor: ``[B]`` float64.
    """
    lower, upper = _check_bounds(lower, upper)
    _, target = _check_bounds(lower, target, ('lower', 'target'))
    lower, upper, target = (_edges(a, upper_triangle) for a in (lower, upper, target))
    return ((target >= lower) & (target <= upper)).double().mean(dim=1)


def interval_width(lower, upper, upper_triangle: bool = True) -> Tensor:
    r"""Per-subject mean width :math:`\frac{1}{|E|} \sum_e (u_e - l_e)` of
    the intervals; arguments as in :func:`interval_coverage`. Returns
    ``[B]`` float64."""
    lower, upper = _check_bounds(lower, upper)
    return (_edges(upper, upper_triangle) - _edges(lower, upper_triangle)).mean(dim=1)
