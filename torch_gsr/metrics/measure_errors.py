r"""The topological measures that :func:`evaluate_predictions` reports on
request, by name, and their per-subject errors between predicted and target
connectomes (definitions and sources: ``docs/metrics.md``)."""
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, Sequence, Tuple, Union

import torch
from torch import Tensor

from ..utils.progress import Progress
from ..utils.validation import check_int
from .edges import _check_pair
from .graph_measures import (
    binarize,
    clustering_coefficient,
    degree_centrality,
    eigenvector_centrality,
    graph_weights,
    node_strength,
    pagerank,
)
from .network_measures import (
    betweenness_centrality,
    participation_coefficient,
    small_worldness,
)

#: Names of the measures, node-level ones first.
TOPOLOGY_MEASURES = ('strength', 'degree', 'clustering', 'betweenness',
                     'eigenvector', 'pagerank', 'participation', 'small_worldness')
#: Measures of a whole graph (one number per subject); the others are per node.
GRAPH_LEVEL = ('small_worldness',)
#: Measures read on the binary graph of :func:`binarize`.
BINARY = ('degree', 'participation', 'small_worldness')
#: Subjects computed together (and per worker process).
CHUNK = 16


def topology_names(topology: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    r"""The measure names ``topology`` asks for: ``"all"``, one name, or a
    sequence of names from :obj:`TOPOLOGY_MEASURES`."""
    if topology == 'all':
        return TOPOLOGY_MEASURES
    names = (topology,) if isinstance(topology, str) else topology
    if not isinstance(names, (list, tuple)) or \
            not all(isinstance(name, str) for name in names):
        raise TypeError(f"topology must be a bool, 'all' or a sequence of "
                        f"measure names, got {topology!r}")
    unknown = [name for name in names if name not in TOPOLOGY_MEASURES]
    if unknown:
        raise ValueError(f"unknown topological measure(s) {unknown}; expected "
                         f"'all' or names from {', '.join(TOPOLOGY_MEASURES)}")
    return tuple(dict.fromkeys(names))


def topology_measures(adj, names: Sequence[str] = TOPOLOGY_MEASURES,
                      density: float = 0.1, seed: int = 0) -> Dict[str, Tensor]:
    r"""The named measures of each connectome: weighted ones on
    :func:`graph_weights`, ``degree``, ``participation`` and
    ``small_worldness`` on :func:`binarize` at ``density``.

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes.
        names (sequence): names from :obj:`TOPOLOGY_MEASURES`. (default: all)
        density (float): share of edges the binary graph keeps.
            (default: :obj:`0.1`)
        seed (int): subject ``b``'s Louvain partition and small-world
            reference use ``seed + b``. (default: :obj:`0`)

    Returns:
        dict: name -> ``[B, N]`` (node-level) or ``[B]`` (graph-level).
    """
    names = topology_names(names)
    check_int(seed, 'seed', 0)
    weights = graph_weights(adj)
    binary = binarize(weights, density) if set(names) & set(BINARY) else None
    compute = {
        'strength': lambda: node_strength(weights),
        'degree': lambda: degree_centrality(binary),
        'clustering': lambda: clustering_coefficient(weights),
        'betweenness': lambda: betweenness_centrality(weights),
        'eigenvector': lambda: eigenvector_centrality(weights),
        'pagerank': lambda: pagerank(weights),
        'participation': lambda: participation_coefficient(binary, seed=seed),
        'small_worldness': lambda: small_worldness(binary, seed=seed),
    }
    return {name: compute[name]() for name in names}


def error_name(name: str) -> str:
    r"""The reported error of measure ``name``: ``<name>_mae`` (node-level),
    ``<name>_error`` (graph-level)."""
    return f'{name}_error' if name in GRAPH_LEVEL else f'{name}_mae'


def _chunk_errors(args) -> Dict[str, Tensor]:
    pred, target, names, density, seed = args
    pred = topology_measures(pred, names, density, seed)
    target = topology_measures(target, names, density, seed)
    return {error_name(name): (pred[name] - target[name]).abs() if name in GRAPH_LEVEL
            else (pred[name] - target[name]).abs().mean(dim=-1) for name in names}


def topology_errors(pred, target, names: Sequence[str] = TOPOLOGY_MEASURES,
                    density: float = 0.1, seed: int = 0, num_workers: int = 0,
                    progress: bool = False) -> Dict[str, Tensor]:
    r"""Per-subject errors of topological measures between predicted and
    target connectomes (:func:`topology_measures` of each):

    .. math::
        \mathrm{MAE}_b = \frac{1}{N} \sum_i |\hat{m}_{bi} - m_{bi}|
        \quad\text{(node-level)}, \qquad
        |\hat{\sigma}_b - \sigma_b| \quad\text{(graph-level)}.

    Args:
        pred (Tensor or ndarray): ``[B, N, N]`` predicted connectomes.
        target (Tensor or ndarray): ``[B, N, N]`` ground truth.
        names (sequence): names from :obj:`TOPOLOGY_MEASURES`. (default: all)
        density (float): share of edges the binary graphs keep.
            (default: :obj:`0.1`)
        seed (int): seeds Louvain and the small-world references
            (:func:`topology_measures`); a subject's prediction and target
            share them. (default: :obj:`0`)
        num_workers (int): worker processes, each taking
            :obj:`CHUNK` subjects at a time (``0``: this process).
        progress (bool): report the subjects done.

    Returns:
        dict: :func:`error_name` -> ``[B]`` float64 tensors.
    """
    names = topology_names(names)
    check_int(num_workers, 'num_workers', 0)
    check_int(seed, 'seed', 0)
    pred, target = _check_pair(pred, target)
    binarize(pred[:1], density)  # checks density before any work
    jobs = [(pred[i:i + CHUNK], target[i:i + CHUNK], names, density, seed + i)
            for i in range(0, pred.size(0), CHUNK)]
    parts = []
    with Progress(pred.size(0), 'topology', enabled=progress) as bar:
        if num_workers > 0:
            with ProcessPoolExecutor(max_workers=num_workers) as pool:
                for job, part in zip(jobs, pool.map(_chunk_errors, jobs), strict=True):
                    parts.append(part)
                    bar.step(count=job[0].size(0))
        else:
            for job in jobs:
                parts.append(_chunk_errors(job))
                bar.step(count=job[0].size(0))
    return {key: torch.cat([part[key] for part in parts]) for key in parts[0]}
