"""gPool / gUnpool of Graph U-Nets (Gao & Ji, 2019), batched over dense graphs."""
import math
from typing import Tuple

import torch
from torch import Tensor
from torch.nn import Parameter


def _gather_rows(x: Tensor, idx: Tensor) -> Tensor:
    # x: [..., N, F], idx: [..., k] -> [..., k, F]
    return x.gather(-2, idx.unsqueeze(-1).expand(*idx.shape, x.size(-1)))


class GraphPool(torch.nn.Module):
    r"""The graph pooling layer (gPool) of GSR-Net (paper, section 2.1),
    batched over dense graphs:

    .. math::
        \mathbf{v} = \mathbf{X}\mathbf{p} / \|\mathbf{p}\|, \quad
        \mathrm{idx} = \mathrm{top}_k(\mathbf{v}), \quad
        \mathbf{X}' = \mathbf{X}_{\mathrm{idx}} \odot
        \sigma(\mathbf{v}_{\mathrm{idx}}) \mathbf{1}^\top_F, \quad
        \mathbf{A}' = \mathbf{A}_{\mathrm{idx}, \mathrm{idx}},

    with :math:`k = \lceil \mathrm{ratio} \cdot N \rceil` nodes kept per graph
    and :math:`\mathbf{p}` a trainable projection.

    Args:
        in_channels (int): feature size :math:`F`.
        ratio (float): fraction of nodes kept, in :math:`(0, 1]`.

    Shapes:
        - **input:**
          node features :math:`(B, N, F)` or :math:`(N, F)`,
          adjacency :math:`(B, N, N)` or :math:`(N, N)`
        - **output:**
          node features :math:`(B, k, F)`, adjacency :math:`(B, k, k)`,
          kept node indices :math:`(B, k)`, sorted by descending score
          (no :math:`B` for unbatched input)
    """
    def __init__(self, in_channels: int, ratio: float):
        super().__init__()
        if not 0. < ratio <= 1.:
            raise ValueError(f"ratio must be in (0, 1], got {ratio}")
        self.in_channels = in_channels
        self.ratio = ratio
        self.proj = Parameter(torch.empty(in_channels))
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        bound = 1. / math.sqrt(self.in_channels)
        torch.nn.init.uniform_(self.proj, -bound, bound)

    def forward(self, x: Tensor, adj: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        r"""Pools every graph of the batch.

        Args:
            x (Tensor): node features.
            adj (Tensor): adjacency.
        """
        x, idx = self.select(x)
        return x, pool_dense_adj(adj, idx), idx

    def select(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        r"""The pooled features ``[B, k, F]`` and kept indices ``[B, k]`` of
        ``x`` ``[B, N, F]`` (or ``[N, F]``), for graphs stored either way
        (:func:`pool_dense_adj`, :func:`pool_edges`)."""
        num_kept = math.ceil(self.ratio * x.size(-2))
        score = torch.matmul(x, self.proj) / self.proj.norm()
        score, idx = score.topk(num_kept, dim=-1)
        return _gather_rows(x, idx) * torch.sigmoid(score).unsqueeze(-1), idx

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.in_channels}, ratio={self.ratio})'


def pool_dense_adj(adj: Tensor, idx: Tensor) -> Tensor:
    r"""The subgraph :math:`\mathbf{A}_{\mathrm{idx}, \mathrm{idx}}`
    ``[B, k, k]`` of ``adj`` ``[B, N, N]`` induced by ``idx`` ``[B, k]``
    (no ``B`` for unbatched input)."""
    num_kept = idx.size(-1)
    adj = _gather_rows(adj, idx)
    return adj.gather(-1, idx.unsqueeze(-2).expand(*idx.shape[:-1], num_kept, num_kept))


def pool_edges(edge_index: Tensor, edge_weight: Tensor, idx: Tensor,
               num_nodes: int) -> Tuple[Tensor, Tensor]:
    r"""The sparse form of :func:`pool_dense_adj`: the edges among the kept
    nodes, renumbered in the order of ``idx``.

    Args:
        edge_index (Tensor): ``[2, E]`` edges of ``B`` graphs of
            ``num_nodes`` nodes each, numbered as in a PyG batch (graph
            ``b``'s nodes are ``b * num_nodes, ...``).
        edge_weight (Tensor): ``[E]`` weights.
        idx (Tensor): ``[B, k]`` kept nodes of each graph.
        num_nodes (int): nodes per graph before pooling.

    Returns:
        (Tensor, Tensor): ``[2, E']`` edges over the ``B * k`` kept nodes
        (graph ``b``'s are ``b * k, ...``) and their ``[E']`` weights.
    """
    idx = idx.view(-1, idx.size(-1))
    offsets = torch.arange(idx.size(0), device=idx.device).unsqueeze(-1) * num_nodes
    new_id = edge_index.new_full((idx.size(0) * num_nodes,), -1)
    new_id[(idx + offsets).flatten()] = torch.arange(idx.numel(), device=idx.device)
    edge_index = new_id[edge_index]
    kept = (edge_index >= 0).all(dim=0)
    return edge_index[:, kept], edge_weight[kept]


class GraphUnpool(torch.nn.Module):
    r"""The graph unpooling layer (gUnpool) of GSR-Net: puts the pooled rows
    back where :class:`GraphPool` took them from,

    .. math::
        \mathbf{X}' = \mathrm{relocate}(\mathbf{0}_{N \times F},
        \mathbf{X}, \mathrm{idx}),

    zero on the dropped rows. It has no parameters.

    Shapes:
        - **input:**
          pooled node features :math:`(B, k, F)` or :math:`(k, F)`,
          kept node indices :math:`(B, k)` or :math:`(k)`
        - **output:** node features :math:`(B, N, F)` or :math:`(N, F)`
    """
    def reset_parameters(self):
        r"""Does nothing: the layer has no parameters."""

    def forward(self, x: Tensor, idx: Tensor, num_nodes: int) -> Tensor:
        r"""Unpools every graph of the batch.

        Args:
            x (Tensor): pooled node features.
            idx (Tensor): the indices :class:`GraphPool` returned.
            num_nodes (int): :math:`N`, the node count before pooling.
        """
        out = x.new_zeros(*x.shape[:-2], num_nodes, x.size(-1))
        return out.scatter(-2, idx.unsqueeze(-1).expand_as(x), x)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
