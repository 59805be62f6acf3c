r"""Dense-to-sparse views of a connectome: strongest edges only."""
from typing import Optional

from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from ..utils.sparse import strongest_edges
from .batch_utils import set_sparse


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
        """Replaces ``data``'s sparse view by the kept edges."""
        return set_sparse(data, strongest_edges(data[self.key], self.top_k, self.threshold))

    def __repr__(self) -> str:
        rule = f'top_k={self.top_k}' if self.top_k is not None else f'threshold={self.threshold}'
        return f'{self.__class__.__name__}({rule}, key={self.key!r})'
