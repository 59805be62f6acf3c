r"""Elementwise metrics of predicted connectomes, per subject: MSE, MAE,
Pearson correlation, residual Pearson correlation, Jensen-Shannon distance."""
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ..utils.validation import check_adjacency
from ..utils.vectorize import vectorize


def _check_pair(pred, target) -> Tuple[Tensor, Tensor]:
    # Metrics accept numpy as well as torch, and compute in float64 so that
    # results agree with scipy/networkx to rounding.
    pred = torch.as_tensor(pred)
    target = torch.as_tensor(target)
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {list(pred.shape)} but target has "
                         f"shape {list(target.shape)} (expected the same "
                         f"[B, N, N] for both)")
    pred = check_adjacency(pred.double(), name='pred', symmetric=False)
    target = check_adjacency(target.double(), name='target', symmetric=False)
    return pred, target


def _edges(adj: Tensor, upper_triangle: bool) -> Tensor:
    r"""``[B, N, N]`` -> ``[B, E]``: strict upper triangle or all entries."""
    return vectorize(adj, 'triu') if upper_triangle else adj.flatten(1)


def mean_squared_error(pred, target, upper_triangle: bool = True) -> Tensor:
    r"""Per-subject mean squared error.

    Args:
        pred (Tensor or ndarray): ``[B, N, N]`` predicted connectomes.
        target (Tensor or ndarray): ``[B, N, N]`` ground truth.
        upper_triangle (bool): use the strict upper triangle (``True``) or
            every entry of the matrix.

    Returns:
        Tensor: ``[B]`` float64.
    """
    pred, target = _check_pair(pred, target)
    diff = _edges(pred, upper_triangle) - _edges(target, upper_triangle)
    return diff.pow(2).mean(dim=1)


def mean_absolute_error(pred, target, upper_triangle: bool = True) -> Tensor:
    r"""Per-subject mean absolute error; arguments as in
    :func:`mean_squared_error`. Returns ``[B]`` float64."""
    pred, target = _check_pair(pred, target)
    diff = _edges(pred, upper_triangle) - _edges(target, upper_triangle)
    return diff.abs().mean(dim=1)


def pearson_correlation(pred, target, upper_triangle: bool = True) -> Tensor:
    r"""Per-subject Pearson correlation between predicted and target edges
    (:func:`scipy.stats.pearsonr` of each subject's edge vectors).

    A subject whose predicted or target edges are constant has no defined
    correlation and gets ``nan``, as in scipy. Returns ``[B]`` float64.
    """
    pred, target = _check_pair(pred, target)
    return _correlation(_edges(pred, upper_triangle),
                        _edges(target, upper_triangle))


def _correlation(x: Tensor, y: Tensor) -> Tensor:
    r"""Row-wise Pearson correlation of ``[B, E]`` vectors."""
    x = x - x.mean(dim=1, keepdim=True)
    y = y - y.mean(dim=1, keepdim=True)
    return (x * y).sum(dim=1) / (x.pow(2).sum(dim=1) * y.pow(2).sum(dim=1)).sqrt()


def _check_reference(reference, like: Tensor) -> Tensor:
    reference = torch.as_tensor(reference)
    if reference.dim() == 3 and reference.size(0) == 1:
        reference = reference[0]
    if list(reference.shape) != list(like.shape[-2:]):
        raise ValueError(f"reference must be one [N, N] connectome matching "
                         f"the predictions' {list(like.shape[-2:])}, got shape "
                         f"{list(reference.shape)}")
    return check_adjacency(reference.double(), name='reference',
                           symmetric=False)[0].to(like.device)


def residual_pearson_correlation(pred, target, reference,
                                 upper_triangle: bool = True) -> Tensor:
    r"""Per-subject Pearson correlation of the residuals from a reference,
    usually the training-set mean HR connectome :math:`\bar{\mathbf{A}}`:

    .. math::
        r_s = \mathrm{corr}\big(\hat{\mathbf{a}}_s - \bar{\mathbf{a}},\;
        \mathbf{a}_s - \bar{\mathbf{a}}\big)

    on the strict upper triangles (vectors :math:`\mathbf{a}`). Plain PCC
    is dominated by the edges that are strong in everyone, so the mean
    connectome alone scores high; this one says how much *subject-specific*
    signal a prediction carries. A residual that is constant (a prediction
    equal to the reference, as :class:`~torch_gsr.baselines.MeanHR`'s, up to
    rounding) carries none and scores 0, not ``nan``.

    Args:
        pred (Tensor or ndarray): ``[B, N, N]`` predicted connectomes.
        target (Tensor or ndarray): ``[B, N, N]`` ground truth.
        reference (Tensor or ndarray): ``[N, N]`` (or ``[1, N, N]``), e.g.
            the training-set mean HR connectome.
        upper_triangle (bool): strict upper triangle or every entry.

    Returns:
        Tensor: ``[B]`` float64.
    """
    pred, target = _check_pair(pred, target)
    reference = _edges(_check_reference(reference, pred)[None], upper_triangle)
    x = _edges(pred, upper_triangle) - reference
    y = _edges(target, upper_triangle) - reference
    # float32 predictions of the reference differ from it by rounding only.
    tolerance = 1e-6 * (1 + reference.abs().max())
    constant = ((x - x.mean(dim=1, keepdim=True)).abs().amax(dim=1) <= tolerance) | \
        ((y - y.mean(dim=1, keepdim=True)).abs().amax(dim=1) <= tolerance)
    return _correlation(x, y).masked_fill(constant, 0.)


def _kl_terms(p: Tensor, m: Tensor) -> Tensor:
    # p * log(p / m), with 0 * log(0 / m) = 0; m >= p / 2 > 0 wherever p > 0.
    positive = p > 0
    ratio = torch.where(positive, p, 1) / torch.where(positive, m, 1)
    return torch.where(positive, p * torch.log(ratio), 0)


def jensen_shannon_distance(pred, target, upper_triangle: bool = True,
                            base: Optional[float] = None) -> Tensor:
    r"""Per-subject Jensen-Shannon distance between edge-weight
    distributions, equal to :func:`scipy.spatial.distance.jensenshannon` on
    each subject's edge vectors.

    Each subject's edge vector is treated as a distribution: negative weights
    are clipped to 0 (a distribution has no negative mass) and the vector is
    divided by its sum. The distance is the square root of the
    Jensen-Shannon divergence, with natural logarithms by default (range
    ``[0, sqrt(ln 2)]``) or logarithms in ``base`` (``base=2`` gives
    ``[0, 1]``). A subject with no positive edge gets ``nan``, as in scipy.

    Returns:
        Tensor: ``[B]`` float64.
    """
    pred, target = _check_pair(pred, target)
    p = _edges(pred, upper_triangle).clamp_min(0)
    q = _edges(target, upper_triangle).clamp_min(0)
    p_mass = p.sum(dim=1, keepdim=True)
    q_mass = q.sum(dim=1, keepdim=True)
    p, q = p / p_mass, q / q_mass
    m = (p + q) / 2
    divergence = (_kl_terms(p, m).sum(dim=1) + _kl_terms(q, m).sum(dim=1)) / 2
    if base is not None:
        divergence = divergence / np.log(base)
    distance = divergence.clamp_min(0).sqrt()
    # An all-zero vector is no distribution: nan, as scipy's 0 / 0 gives.
    empty = (p_mass == 0).squeeze(1) | (q_mass == 0).squeeze(1)
    return distance.masked_fill(empty, float('nan'))
