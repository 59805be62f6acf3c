r"""Node centralities of connectomes and their per-subject errors, as the
brain-graph super-resolution challenge computes them (networkx)."""
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Optional, Tuple

import networkx as nx
import numpy as np
import torch
from torch import Tensor

from ..utils.progress import Progress
from .edges import _check_pair

CENTRALITIES = ('betweenness', 'eigenvector', 'pagerank')


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
