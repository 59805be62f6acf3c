r"""Evaluation metrics for predicted connectomes.

Two protocols are provided through :func:`evaluate_predictions`:

``protocol="subject"`` (default)
    Every metric is computed **per subject** and then summarised by the mean
    and standard deviation over subjects. Elementwise metrics (MSE, MAE,
    Pearson correlation, Jensen-Shannon distance, and given the training-set
    mean HR connectome the residual Pearson correlation) use the strict upper
    triangle of each ``[N, N]`` matrix (or the full matrix with
    ``upper_triangle=False``) and are vectorised in torch. Topology errors
    (optional, ``topology=True``) are the per-subject MAE between node
    centralities of the predicted and target graphs, built from the
    off-diagonal weights after clipping negative weights to 0.

``protocol="challenge"``
    The reference evaluation of the public brain-graph super-resolution
    challenge, reproduced so that numbers can be compared with published
    ones: negative predictions are clipped to 0; MAE,
    :func:`scipy.stats.pearsonr` and
    :func:`scipy.spatial.distance.jensenshannon` are computed **once on the
    concatenation** of the strict-upper-triangle vectors of all subjects;
    the centrality errors are per-subject MAEs of weighted betweenness,
    eigenvector and PageRank centrality of ``networkx.from_numpy_array``
    graphs (diagonal included, as the reference code does), averaged over
    subjects.

How the two protocols differ:

* Pooled vs per-subject averaging. A pooled MAE equals the mean of
  per-subject MAEs (all subjects have the same edge count), but pooled PCC
  and JSD do not: the concatenated vectors mix the variance *between edges*
  (strong edges are strong in every subject) with the variance *between
  subjects*. For connectomes the first usually dominates, so a model that
  predicts the population mean for everyone already scores a high pooled
  PCC; a subject-specific offset, which per-subject PCC ignores (it is
  invariant to an affine change of each subject), lowers the pooled PCC.
  Neither shows on its own that a model captures subject-specific
  structure: compare with :class:`torch_gsr.baselines.MeanHR`. Pooled
  metrics have no spread over subjects; their std is reported as ``nan``.
* networkx reads the ``weight`` of :func:`networkx.betweenness_centrality`
  as a **distance**: shortest paths prefer *weak* connections, so strongly
  connected regions look far apart. Eigenvector centrality and PageRank read
  it as a strength. Both protocols keep networkx's convention (the challenge
  does), so betweenness errors measure agreement of a distance-based
  quantity on similarity weights: interpret them with care.

Every result is an :class:`Evaluation`: ``summary`` maps a metric name to
``(mean, std)`` over subjects, ``per_subject`` maps it to a ``[B]`` tensor,
and :meth:`Evaluation.row` flattens the summary into one table row.
"""
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import networkx as nx
import numpy as np
import scipy.spatial.distance
import scipy.stats
import torch
from torch import Tensor

from .utils.progress import Progress
from .utils.validation import check_adjacency, check_int
from .utils.vectorize import vectorize

PROTOCOLS = ('subject', 'challenge')
CENTRALITIES = ('betweenness', 'eigenvector', 'pagerank')


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


def node_centralities(adj: np.ndarray) -> Dict[str, np.ndarray]:
    r"""Weighted node centralities of one connectome, as the challenge
    computes them.

    Args:
        adj (ndarray): ``[N, N]`` non-negative weights; ``from_numpy_array``
            turns every non-zero entry into an edge (the diagonal into
            self-loops).

    Returns:
        dict: ``"betweenness"``, ``"eigenvector"``, ``"pagerank"`` -> ``[N]``
        arrays in node order. Betweenness reads weights as distances.
    """
    graph = nx.from_numpy_array(adj, edge_attr='weight')
    nodes = range(adj.shape[0])
    values = {
        'betweenness': nx.betweenness_centrality(graph, weight='weight'),
        'eigenvector': nx.eigenvector_centrality(graph, weight='weight'),
        'pagerank': nx.pagerank(graph, weight='weight'),
    }
    return {name: np.array([value[n] for n in nodes])
            for name, value in values.items()}


def _centrality_errors_one(args) -> Tuple[int, Optional[List[float]], str]:
    # Runs in a worker process: returns (index, errors, message) rather than
    # raising so that the parent can name the subject that failed.
    index, pred, target = args
    try:
        c_pred = node_centralities(pred)
        c_target = node_centralities(target)
    except (nx.NetworkXException, ValueError, ZeroDivisionError) as error:
        return index, None, f"{type(error).__name__}: {error}"
    return index, [float(np.abs(c_pred[n] - c_target[n]).mean())
                   for n in CENTRALITIES], ''


def _graph_weights(adj: Tensor, keep_diagonal: bool) -> np.ndarray:
    # Negative weights are not valid strengths nor distances for networkx.
    adj = adj.clamp_min(0)
    if not keep_diagonal:
        adj = adj - torch.diag_embed(torch.diagonal(adj, dim1=-2, dim2=-1))
    return adj.cpu().numpy()


def _centrality_errors(pred: Tensor, target: Tensor, keep_diagonal: bool,
                       num_workers: int, progress: bool) -> Dict[str, Tensor]:
    pred_np = _graph_weights(pred, keep_diagonal)
    target_np = _graph_weights(target, keep_diagonal)
    jobs = [(i, pred_np[i], target_np[i]) for i in range(len(pred_np))]
    errors: List[Optional[List[float]]] = [None] * len(jobs)
    with Progress(len(jobs), 'centralities', enabled=progress) as bar:
        if num_workers > 0:
            with ProcessPoolExecutor(max_workers=num_workers) as pool:
                results = pool.map(_centrality_errors_one, jobs)
                for result in results:
                    _store(result, errors)
                    bar.step()
        else:
            for job in jobs:
                _store(_centrality_errors_one(job), errors)
                bar.step()
    values = torch.tensor(errors, dtype=torch.float64)
    return {f'{name}_mae': values[:, k] for k, name in enumerate(CENTRALITIES)}


def _store(result, errors: list) -> None:
    index, values, message = result
    if values is None:
        raise ValueError(f"centralities of pred/target (subject index {index}) "
                         f"could not be computed ({message}); expected "
                         f"graphs on which networkx converges")
    errors[index] = values


def centrality_errors(pred, target, num_workers: int = 0,
                      progress: bool = False) -> Dict[str, Tensor]:
    r"""Per-subject MAE of weighted betweenness, eigenvector and PageRank
    centrality between predicted and target graphs (networkx).

    Graphs are built from the off-diagonal weights after clipping negative
    weights to 0.

    Args:
        pred (Tensor or ndarray): ``[B, N, N]`` predicted connectomes.
        target (Tensor or ndarray): ``[B, N, N]`` ground truth.
        num_workers (int): worker processes (``0``: run in this process).
        progress (bool): report the subjects done
            (:mod:`torch_gsr.utils.progress`).

    Returns:
        dict: ``"betweenness_mae"``, ``"eigenvector_mae"``,
        ``"pagerank_mae"`` -> ``[B]`` float64 tensors.
    """
    pred, target = _check_pair(pred, target)
    return _centrality_errors(pred, target, keep_diagonal=False,
                              num_workers=num_workers, progress=progress)


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
                         topology: Optional[bool] = None,
                         upper_triangle: bool = True, num_workers: int = 0,
                         progress: bool = False,
                         reference=None) -> Evaluation:
    r"""Evaluates predicted connectomes against the ground truth.

    Args:
        pred (Tensor or ndarray): ``[B, N, N]`` (or ``[N, N]``) predictions.
        target (Tensor or ndarray): ground truth, same shape as ``pred``.
        protocol (str): ``"subject"`` (per-subject metrics, mean and std over
            subjects) or ``"challenge"`` (the public challenge's reference
            evaluation); see the module documentation for the differences.
        topology (bool, optional): compute the centrality errors (slow:
            networkx). Defaults to ``False`` for ``"subject"`` and ``True``
            for ``"challenge"``.
        upper_triangle (bool): elementwise metrics on the strict upper
            triangle, or on the full matrix (``"subject"`` only).
        num_workers (int): worker processes for the centralities.
        progress (bool): show a progress bar for the centralities.
        reference (Tensor or ndarray, optional): ``[N, N]`` the training-set
            mean HR connectome: adds ``residual_pcc``
            (:func:`residual_pearson_correlation`, per subject in both
            protocols).

    Returns:
        Evaluation: ``"subject"`` reports ``mse``, ``mae``, ``pcc``, ``jsd``
        (natural log), with ``reference`` ``residual_pcc``, and, with
        ``topology``, ``betweenness_mae``, ``eigenvector_mae``,
        ``pagerank_mae``; ``"challenge"`` reports pooled ``mae``, ``pcc``,
        ``jsd`` and, with ``topology``, the three centrality errors averaged
        over subjects.

    Raises:
        ValueError: unknown protocol, shapes that differ, NaN/inf (naming the
            subject index) or a graph on which networkx fails.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if protocol == 'challenge' and not upper_triangle:
        raise ValueError("protocol='challenge' is defined on the strict upper "
                         "triangle; got upper_triangle=False (expected True)")
    check_int(num_workers, 'num_workers', 0)
    if topology is None:
        topology = protocol == 'challenge'
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

    if topology:
        # The challenge builds graphs from the whole (clipped) matrix.
        errors = _centrality_errors(pred, target,
                                    keep_diagonal=protocol == 'challenge',
                                    num_workers=num_workers, progress=progress)
        for name, values in errors.items():
            result._add(name, values)
    return result
