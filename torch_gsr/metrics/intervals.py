r"""Per-subject coverage and width of per-edge prediction intervals."""
from typing import List

import torch
from torch import Tensor

from ..utils.validation import check_adjacency
from .edges import _edges


def _checked(**arrays) -> List[Tensor]:
    r"""The ``[B, N, N]`` arrays as float64 tensors, checked to share one
    shape (the errors name them)."""
    names, tensors = list(arrays), [torch.as_tensor(a) for a in arrays.values()]
    for name, tensor in zip(names[1:], tensors[1:], strict=True):
        if tensor.shape != tensors[0].shape:
            raise ValueError(f"{names[0]} has shape {list(tensors[0].shape)} but "
                             f"{name} has shape {list(tensor.shape)} (expected "
                             f"the same [B, N, N] for both)")
    return [check_adjacency(t.double(), name=name, symmetric=False)
            for name, t in zip(names, tensors, strict=True)]


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
    lower, upper, target = (_edges(a, upper_triangle) for a in
                            _checked(lower=lower, upper=upper, target=target))
    return ((target >= lower) & (target <= upper)).double().mean(dim=1)


def interval_width(lower, upper, upper_triangle: bool = True) -> Tensor:
    r"""Per-subject mean width :math:`\frac{1}{|E|} \sum_e (u_e - l_e)` of
    the intervals; arguments as in :func:`interval_coverage`. Returns
    ``[B]`` float64."""
    lower, upper = _checked(lower=lower, upper=upper)
    return (_edges(upper, upper_triangle) - _edges(lower, upper_triangle)).mean(dim=1)
