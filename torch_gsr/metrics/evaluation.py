r"""One set of predictions evaluated under a protocol: per subject
(``"subject"``) or as the public challenge pools them (``"challenge"``);
the protocols are compared in ``docs/metrics.md``."""
from dataclasses import dataclass, field
from typing import Dict, Sequence, Tuple, Union

import numpy as np
import scipy.spatial.distance
import scipy.stats
from torch import Tensor

from ..utils.validation import check_int
from .edges import (
    _check_pair,
    _edges,
    jensen_shannon_distance,
    mean_absolute_error,
    mean_squared_error,
    pearson_correlation,
    residual_pearson_correlation,
)
from .measure_errors import topology_errors, topology_names
from .topology import _centrality_errors

PROTOCOLS = ('subject', 'challenge')


@dataclass
class Evaluation:
    r"""Metrics of one set of predictions.

    Attributes:
        protocol (str): ``"subject"`` or ``"challenge"``.
        num_subjects (int): number of subjects ``B`` evaluated.
        summary (dict): metric name -> ``(mean, std)`` over subjects
            (population std, ``ddof=0``). Pooled challenge metrics
            (``mae``, ``pcc``, ``jsd``) are single numbers: ``(value, nan)``.
        per_subject (dict): metric name -> ``[B]`` float64 tensor, for every
            metric computed per subject.
    """
    protocol: str
    num_subjects: int
    summary: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    per_subject: Dict[str, Tensor] = field(default_factory=dict)

    def row(self) -> Dict[str, float]:
        r"""One table row: ``{"mse_mean": ..., "mse_std": ..., ...}``."""
        out = {}
        for name, (mean, std) in self.summary.items():
            out[f'{name}_mean'] = mean
            out[f'{name}_std'] = std
        return out

    def _add(self, name: str, values: Tensor) -> None:
        self.per_subject[name] = values
        self.summary[name] = (float(values.mean()),
                              float(values.std(correction=0)))


def _pooled_challenge_metrics(pred: Tensor, target: Tensor) -> Dict[str, float]:
    # Scipy on purpose: the challenge numbers come from these functions.
    x = _edges(pred.clamp_min(0), True).flatten().cpu().numpy()
    y = _edges(target, True).flatten().cpu().numpy()
    return {
        'mae': float(np.abs(x - y).mean()),
        'pcc': float(scipy.stats.pearsonr(x, y)[0]),
        'jsd': float(scipy.spatial.distance.jensenshannon(x, y)),
    }


def evaluate_predictions(pred, target, protocol: str = 'subject',
                         topology: Union[None, bool, str, Sequence[str]] = None,
                         upper_triangle: bool = True, num_workers: int = 0,
                         progress: bool = False,
                         reference=None, seed: int = 0) -> Evaluation:
    r"""Evaluates predicted connectomes against the ground truth.

    Args:
        pred (Tensor or ndarray): ``[B, N, N]`` (or ``[N, N]``) predictions.
        target (Tensor or ndarray): ground truth, same shape as ``pred``.
        protocol (str): ``"subject"`` (per-subject metrics, mean and std over
            subjects) or ``"challenge"`` (the public challenge's reference
            evaluation); see the module documentation for the differences.
        topology (bool, str or sequence, optional): ``True``: the
            challenge's centrality errors (slow: networkx); ``"all"`` or
            names from :obj:`~torch_gsr.metrics.TOPOLOGY_MEASURES`: those
            measures' errors (:func:`~torch_gsr.metrics.topology_errors`).
            Defaults to ``False`` for ``"subject"``, ``True`` for
            ``"challenge"``.
        upper_triangle (bool): elementwise metrics on the strict upper
            triangle, or on the full matrix (``"subject"`` only).
        num_workers (int): worker processes for the topology.
        progress (bool): show a progress bar for the topology.
        reference (Tensor or ndarray, optional): ``[N, N]`` the training-set
            mean HR connectome: adds ``residual_pcc``
            (:func:`residual_pearson_correlation`, per subject in both
            protocols).
        seed (int): seeds the named measures' Louvain partitions and
            small-world references.

    Returns:
        Evaluation: ``"subject"`` reports ``mse``, ``mae``, ``pcc``, ``jsd``
        (natural log), with ``reference`` ``residual_pcc``, and, with
        ``topology``, ``betweenness_mae``, ``eigenvector_mae``,
        ``pagerank_mae`` (named measures: ``<name>_mae``, small-worldness
        ``small_worldness_error``); ``"challenge"`` reports pooled ``mae``,
        ``pcc``, ``jsd`` and the topology errors averaged over subjects.

    Raises:
        ValueError: unknown protocol or measure name, shapes that differ,
            NaN/inf (naming the subject index) or a graph on which networkx
            fails.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if protocol == 'challenge' and not upper_triangle:
        raise ValueError("protocol='challenge' is defined on the strict upper "
                         "triangle; got upper_triangle=False (expected True)")
    check_int(num_workers, 'num_workers', 0)
    check_int(seed, 'seed', 0)
    if topology is None:
        topology = protocol == 'challenge'
    names = () if isinstance(topology, bool) else topology_names(topology)
    pred, target = _check_pair(pred, target)
    result = Evaluation(protocol=protocol, num_subjects=pred.size(0))

    if protocol == 'subject':
        result._add('mse', mean_squared_error(pred, target, upper_triangle))
        result._add('mae', mean_absolute_error(pred, target, upper_triangle))
        result._add('pcc', pearson_correlation(pred, target, upper_triangle))
        result._add('jsd', jensen_shannon_distance(pred, target, upper_triangle))
    else:
        for name, value in _pooled_challenge_metrics(pred, target).items():
            result.summary[name] = (value, float('nan'))
    if reference is not None:
        result._add('residual_pcc', residual_pearson_correlation(
            pred, target, reference, upper_triangle))

    if topology is True:
        # The challenge builds graphs from the whole (clipped) matrix.
        errors = _centrality_errors(pred, target,
                                    keep_diagonal=protocol == 'challenge',
                                    num_workers=num_workers, progress=progress)
    else:
        errors = topology_errors(pred, target, names, seed=seed,
                                 num_workers=num_workers,
                                 progress=progress) if names else {}
    for name, values in errors.items():
        result._add(name, values)
    return result
