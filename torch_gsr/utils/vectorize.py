r"""Vectorised connectomes: one subject per row, the strict upper triangle.

Two orders are in use, both named after their numpy index definition:

* ``'tril'`` (default): ``A[numpy.tril_indices(N, -1)]``. The brain-graph
  super-resolution challenge walks the upper triangle column by column, which
  for a symmetric matrix gives exactly these values in this order.
* ``'triu'``: ``A[numpy.triu_indices(N, 1)]``, the upper triangle row by row.
"""
import math

import torch
from torch import Tensor

ORDERS = ('tril', 'triu')


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")


def num_edges(num_nodes: int) -> int:
    """Length ``N * (N - 1) / 2`` of the vector of an ``N``-node connectome."""
    return num_nodes * (num_nodes - 1) // 2


def nodes_from_edges(num_values: int, where: str = 'vector') -> int:
    r"""Infers ``N`` from a vector length ``E = N (N - 1) / 2``.

    Raises:
        ValueError: ``E`` is not such a number (the message names the nearest
            ``N`` and the lengths it and ``N + 1`` would need).
    """
    n = round((1 + math.sqrt(1 + 8 * num_values)) / 2)
    if num_values < 1 or num_edges(n) != num_values:
        low = int((1 + math.sqrt(1 + 8 * max(num_values, 0))) / 2)
        raise ValueError(
            f"{where} has {num_values} values per subject, which is not "
            f"N * (N - 1) / 2 for any node count N (N = {low} would give "
            f"{num_edges(low)}, N = {low + 1} would give {num_edges(low + 1)})")
    return n


def _indices(num_nodes: int, order: str, device=None):
    _check_order(order)
    if order == 'tril':
        index = torch.tril_indices(num_nodes, num_nodes, -1, device=device)
    else:
        index = torch.triu_indices(num_nodes, num_nodes, 1, device=device)
    return index[0], index[1]


def vectorize(adj: Tensor, order: str = 'tril') -> Tensor:
    r"""Flattens connectomes to vectors.

    Args:
        adj (Tensor): ``[..., N, N]``.
        order (str): ``'tril'`` (challenge) or ``'triu'``, see the module doc.

    Returns:
        Tensor: ``[..., N * (N - 1) / 2]``.
    """
    row, col = _indices(adj.size(-1), order, adj.device)
    return adj[..., row, col]


def unvectorize(vec: Tensor, order: str = 'tril', diagonal: float = 0.) -> Tensor:
    r"""Inverse of :func:`vectorize` for symmetric connectomes.

    Args:
        vec (Tensor): ``[..., E]`` with ``E = N (N - 1) / 2``; ``N`` is inferred.
        order (str): ``'tril'`` (challenge) or ``'triu'``.
        diagonal (float): value written on the diagonal.

    Returns:
        Tensor: symmetric ``[..., N, N]``.
    """
    num_nodes = nodes_from_edges(vec.size(-1))
    row, col = _indices(num_nodes, order, vec.device)
    adj = vec.new_full((*vec.shape[:-1], num_nodes, num_nodes), diagonal)
    adj[..., row, col] = vec
    adj[..., col, row] = vec
    return adj
