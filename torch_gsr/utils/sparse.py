r"""Sparse views of dense connectomes, and dense connectomes from sparse
PyG graphs."""
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import dense_to_sparse, remove_self_loops, to_dense_adj

from .matrix import set_diagonal
from .validation import check_edges


def sparse_view(adj: Tensor) -> Tuple[Tensor, Tensor]:
    r"""``(edge_index, edge_weight)`` of the non-zero, off-diagonal entries of
    ``adj`` ``[N, N]`` or ``[B, N, N]`` (batched indices are offset by ``N``
    per graph, as in a PyG batch)."""
    edge_index, edge_weight = dense_to_sparse(adj.contiguous())
    return remove_self_loops(edge_index, edge_weight)


def strongest_edges(adj: Tensor, top_k: Optional[int] = None,
                    threshold: Optional[float] = None) -> Tensor:
    r"""``adj`` ``[B, N, N]`` with only its strongest off-diagonal edges kept.

    ``top_k``: edge ``(i, j)`` is kept if ``j`` is among the ``k`` largest
    weights of row ``i`` or ``i`` among those of row ``j`` (the result stays
    symmetric). ``threshold``: edges of weight ``>= threshold`` are kept.
    """
    if (top_k is None) == (threshold is None):
        raise ValueError("pass exactly one of top_k and threshold")
    off_diagonal = ~torch.eye(adj.size(-1), dtype=torch.bool, device=adj.device)
    if threshold is not None:
        return adj * ((adj >= threshold) & off_diagonal)
    assert top_k is not None  # exactly one of the two is set (checked above)
    if not 0 < top_k < adj.size(-1):
        raise ValueError(f"top_k must be in [1, {adj.size(-1) - 1}] for "
                         f"{adj.size(-1)}-node graphs, got {top_k}")
    scores = adj.masked_fill(~off_diagonal, float('-inf'))
    keep = torch.zeros_like(adj, dtype=torch.bool)
    keep.scatter_(-1, scores.topk(top_k, dim=-1).indices, True)
    return adj * (keep | keep.transpose(-1, -2))


def dense_connectomes(edge_index: Tensor, edge_weight: Optional[Tensor] = None,
                      batch: Optional[Tensor] = None, num_nodes: Optional[int] = None,
                      validate: bool = True) -> Tensor:
    r"""The ``[B, N, N]`` connectomes of a sparse (batch of) graph(s), every
    graph of ``N`` nodes, with a unit diagonal (the sparse view of a
    connectome, :func:`sparse_view`, carries no self-loops; a region is
    fully correlated with itself).

    Args:
        edge_index (Tensor): ``[2, E]`` edges, numbered as in a PyG batch.
        edge_weight (Tensor, optional): ``[E]`` weights (default: ones).
        batch (Tensor, optional): ``[B * N]`` graph of each node, sorted
            (``None``: one graph).
        num_nodes (int, optional): ``N`` (default: from ``batch``, or the
            largest index plus one).
        validate (bool): check the indices, weights and batch vector
            (:func:`~torch_gsr.utils.validation.check_edges`).
    """
    if validate:
        check_edges(edge_index, edge_weight, batch, num_nodes)
    adj = to_dense_adj(edge_index, batch, edge_weight, max_num_nodes=num_nodes)
    return set_diagonal(adj)


def lr_adj_of(data: Data, num_nodes: Optional[int] = None,
              validate: bool = True) -> Tensor:
    r"""The ``[B, N, N]`` LR connectomes a :class:`Data`/:class:`Batch`
    holds: its dense ``lr_adj``, or else its ``edge_index``/``edge_weight``
    (and ``batch``) densified by :func:`dense_connectomes`.

    Raises:
        ValueError: ``data`` has neither ``lr_adj`` nor ``edge_index``, or
            its edges do not fit (see :func:`dense_connectomes`).
    """
    lr_adj = data.get('lr_adj')
    if lr_adj is not None:
        return lr_adj
    if data.get('edge_index') is None:
        raise ValueError(f"{type(data).__name__} has neither 'lr_adj' nor "
                         f"'edge_index': it holds no LR graph (keys: "
                         f"{sorted(data.keys())})")
    return dense_connectomes(data.edge_index, data.get('edge_weight'),
                             data.get('batch'), num_nodes, validate)
