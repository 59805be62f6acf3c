r"""The line (dual) graph of the complete graph :math:`K_n` and a
:class:`~torch_geometric.nn.TransformerConv` on it, batched.

The dual graph of :math:`K_n` has one node per edge :math:`\{i, j\}`,
:math:`i < j` (numbered in :func:`torch.triu_indices` order, ``offset=1``),
and joins two of them when the edges share an endpoint: dual node
:math:`\{i, j\}` has the :math:`2(n - 2)` neighbours :math:`\{i, k\}` and
:math:`\{j, k\}`, :math:`k \notin \{i, j\}`, so the graph has
:math:`n(n-1)(n-2)` directed edges.
"""
import functools
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import TransformerConv
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.utils import softmax

from ...utils.counter_random import random_seed
from .dense_transformer_conv import drop_key_bias
from .line_graph_attention import LineGraphAttention


def num_dual_nodes(num_nodes: int) -> int:
    r""":math:`n(n-1)/2`, the edge count of :math:`K_n`."""
    return num_nodes * (num_nodes - 1) // 2


@functools.lru_cache(maxsize=4)
def _pair_ids(num_nodes: int, device: torch.device) -> Tensor:
    # ``[n, n]``: the dual node id of edge {i, j} at [i, j] and [j, i], -1 on
    # the diagonal.
    row, col = torch.triu_indices(num_nodes, num_nodes, offset=1, device=device)
    ids = torch.full((num_nodes, num_nodes), -1, dtype=torch.long, device=device)
    ids[row, col] = ids[col, row] = torch.arange(row.numel(), device=device)
    return ids


CPU = torch.device('cpu')


@functools.lru_cache(maxsize=2)
def complete_line_graph(num_nodes: int, device: torch.device = CPU) -> Tensor:
    r"""``edge_index`` ``[2, n(n-1)(n-2)]`` (source, target) of the dual
    graph of :math:`K_n`, sorted by target. Built once per ``(n, device)``
    and shared by every model and batch (:func:`functools.lru_cache`).

    Args:
        num_nodes (int): :math:`n \geq 3`.
        device (torch.device): where to build it.
    """
    if num_nodes < 3:
        raise ValueError(f"the line graph of K_n has edges only for n >= 3, "
                         f"got n = {num_nodes}")
    ids = _pair_ids(num_nodes, device)
    row, col = torch.triu_indices(num_nodes, num_nodes, offset=1, device=device)
    nodes = torch.arange(num_nodes, device=device)
    # Target {i, j} receives from {i, k} and {j, k} for every k not i or j.
    others = (nodes != row.unsqueeze(1)) & (nodes != col.unsqueeze(1))
    source = torch.cat([ids[row][others].view(-1, num_nodes - 2),
                        ids[col][others].view(-1, num_nodes - 2)], dim=1)
    target = torch.arange(row.numel(), device=device).unsqueeze(1)
    return torch.stack([source.reshape(-1),
                        target.expand_as(source).reshape(-1)])


def edges_to_matrix(x: Tensor, num_nodes: int) -> Tensor:
    r"""Dual node features ``[B, E, F]`` as a symmetric ``[B, n, n, F]``
    (zero diagonal)."""
    ids = _pair_ids(num_nodes, x.device)
    out = x[:, ids.clamp(min=0)]
    return out.masked_fill((ids < 0).unsqueeze(-1), 0.)


def matrix_to_edges(mat: Tensor) -> Tensor:
    r"""The upper triangle of ``[B, n, n, ...]`` as ``[B, E, ...]``, in dual
    node order."""
    n = mat.size(1)
    row, col = torch.triu_indices(n, n, offset=1, device=mat.device)
    return mat[:, row, col]


class LineGraphTransformerConv(TransformerConv):
    r"""The graph transformer operator of Shi et al. (2021) on the line graph
    of :math:`K_n`, for a batch of graphs that share it:

    .. math::
        \mathbf{x}'_e = \mathbf{W}_1 \mathbf{x}_e + \sum_{f \in
        \mathcal{N}(e)} \alpha_{e,f} \mathbf{W}_2 \mathbf{x}_f, \qquad
        \alpha_{e,f} = \mathrm{softmax}_f \left(
        \frac{(\mathbf{W}_3 \mathbf{x}_e)^\top (\mathbf{W}_4 \mathbf{x}_f)}
        {\sqrt{C}} \right),

    a :class:`~torch_geometric.nn.TransformerConv` (same parameters and
    numbers, but no key bias (:func:`drop_key_bias`), no edge features, no
    :math:`\beta` gate). ``structured=True`` computes it from the structure
    of the line graph of :math:`K_n`, with no index tensors; ``False`` by
    message passing on :func:`complete_line_graph`. Both are exact.

    Args:
        in_channels (int): dual node feature size.
        out_channels (int): output size :math:`C` per head.
        heads (int): attention heads (outputs concatenated).
            (default: :obj:`1`)
        dropout (float): dropout on the attention coefficients.
            (default: :obj:`0.`)
        structured (bool): which computation. (default: :obj:`True`)

    Shapes:
        - **input:** dual node features :math:`(B, E, F_{in})`,
          :math:`E = n(n-1)/2` in :func:`torch.triu_indices` order
        - **output:** dual node features :math:`(B, E, H C)`
    """
    lin_key: Linear

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1,
                 dropout: float = 0., structured: bool = True):
        super().__init__(in_channels, out_channels, heads=heads,
                         dropout=dropout)
        self.lin_key = drop_key_bias(self.lin_key)
        self.structured = structured

    def forward(self, x: Tensor, num_nodes: int) -> Tensor:
        r"""Convolves the dual node features of every subject.

        Args:
            x (Tensor): dual node features.
            num_nodes (int): :math:`n`.
        """
        if x.dim() != 3 or x.size(1) != num_dual_nodes(num_nodes):
            raise ValueError(f"x must have shape [B, {num_dual_nodes(num_nodes)}, "
                             f"F] for the line graph of K_{num_nodes}, got "
                             f"{list(x.shape)}")
        shape = x.shape[:2] + (self.heads, self.out_channels)
        query = self.lin_query(x).view(shape)
        key = self.lin_key(x).view(shape)
        value = self.lin_value(x).view(shape)
        if self.structured:
            out = self._structured(query, key, value, num_nodes)
        else:
            edge_index = complete_line_graph(num_nodes, x.device)
            out = self.propagate(edge_index, query=query.transpose(0, 1),
                                 key=key.transpose(0, 1),
                                 value=value.transpose(0, 1),
                                 edge_attr=None).transpose(0, 1)
        return out.flatten(2) + self.lin_skip(x)

    def message(self, query_i: Tensor, key_j: Tensor, value_j: Tensor,
                edge_attr: Optional[Tensor], index: Tensor,
                ptr: Optional[Tensor], size_i: Optional[int]) -> Tensor:
        """Attention-weighted values of the neighbouring dual nodes."""
        # [M, B, H, C] per dual edge; the softmax runs over dim 0 (edges).
        # ``edge_attr`` is part of TransformerConv's propagate signature; the
        # line graph has no edge features.
        alpha = (query_i * key_j).sum(dim=-1) / math.sqrt(self.out_channels)
        alpha = softmax(alpha, index, ptr, size_i)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        return value_j * alpha.unsqueeze(-1)

    def _structured(self, query: Tensor, key: Tensor, value: Tensor,
                    num_nodes: int) -> Tensor:
        # [B, E, H, C] -> [B, H, n, n, C], symmetric in the two node dims.
        def as_matrix(t):
            return edges_to_matrix(t.flatten(2), num_nodes).unflatten(
                -1, (self.heads, self.out_channels)).permute(0, 3, 1, 2, 4)

        query = as_matrix(query) / math.sqrt(self.out_channels)
        dropout = self.dropout if self.training else 0.
        seed = random_seed() if dropout > 0 else None
        out = LineGraphAttention.apply(query, as_matrix(key), as_matrix(value),
                                       dropout, seed)
        return matrix_to_edges(out.permute(0, 2, 3, 1, 4))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}, heads={self.heads}, '
                f'structured={self.structured})')
