r"""Dense-to-sparse views of a connectome: strongest edges only."""
from typing import Optional

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from .batch_utils import set_sparse


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
    if not 0 < top_k < adj.size(-1):
        raise ValueError(f"top_k must be in [1, {adj.size(-1) - 1}] for "
                         f"{adj.size(-1)}-node graphs, got {top_k}")
    scores = adj.masked_fill(~off_diagonal, float('-inf'))
    keep = torch.zeros_like(adj, dtype=torch.bool)
    keep.scatter_(-1, scores.topk(top_k, dim=-1).indices, True)
    return adj * (keep | keep.transpose(-1, -2))


class Sparsify(BaseTransform):
    r"""Replaces ``edge_index``/``edge_weight`` by the strongest edges of the
    dense ``key`` (``'lr_adj'``, or ``'adj'`` after
    :class:`GraphSuperResolution`); the dense matrix itself is unchanged.

    Args:
        top_k (int, optional): edges kept per node (see :func:`strongest_edges`).
        threshold (float, optional): minimum weight kept.
        key (str): the dense ``[B, N, N]`` attribute to sparsify.
    """
    def __init__(self, top_k: Optional[int] = None, threshold: Optional[float] = None,
                 key: str = 'lr_adj'):
        if (top_k is None) == (threshold is None):
            raise ValueError("pass exactly one of top_k and threshold")
        self.top_k, self.threshold, self.key = top_k, threshold, key

    def forward(self, data: Data) -> Data:
        return set_sparse(data, strongest_edges(data[self.key], self.top_k, self.threshold))

    def __repr__(self) -> str:
        rule = f'top_k={self.top_k}' if self.top_k is not None else f'threshold={self.threshold}'
        return f'{self.__class__.__name__}({rule}, key={self.key!r})'
