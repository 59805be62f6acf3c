r"""Sparse views of dense connectomes."""
from typing import Tuple

from torch import Tensor
from torch_geometric.utils import dense_to_sparse, remove_self_loops


def sparse_view(adj: Tensor) -> Tuple[Tensor, Tensor]:
    r"""``(edge_index, edge_weight)`` of the non-zero, off-diagonal entries of
    ``adj`` ``[N, N]`` or ``[B, N, N]`` (batched indices are offset by ``N``
    per graph, as in a PyG batch)."""
    edge_index, edge_weight = dense_to_sparse(adj.contiguous())
    return remove_self_loops(edge_index, edge_weight)
