"""The Graph U-Autoencoder of GSR-Net (paper, section 2.1)."""
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .conv import ConnectomeGCNConv, gcn_norm_dense
from .pool import GraphPool, GraphUnpool


class GraphUAutoencoder(torch.nn.Module):
    r"""Learns node embeddings of a featureless LR connectome.

    A first GCN embeds the graph with identity features,
    :math:`\mathbf{Z}_0 = \sigma(\hat{D}^{-1/2}\hat{A}\hat{D}^{-1/2}
    \mathbf{I}_N \mathbf{W})`; each encoding module pools
    (:class:`GraphPool`) then convolves; each decoding module unpools
    (:class:`GraphUnpool`), adds the features of the matching encoder level
    (skip connection) and convolves on that level's graph, giving
    :math:`\mathbf{Z}_l`. The self-reconstruction loss compares
    :math:`\mathbf{Z}_0` and :math:`\mathbf{Z}_l`.

    Args:
        in_channels (int): number of LR nodes ``N`` (identity features).
        hidden_channels (int): embedding size (the paper: ``K * N``).
        pool_ratios (sequence of float): one ratio per encoding module;
            the depth is its length. (default: :obj:`(0.9, 0.7)`)
        act (callable): activation after every GCN. (default: ReLU)
        dropout (float): dropout on the features entering each GCN after
            the first. (default: :obj:`0.`)
    """
    def __init__(self, in_channels: int, hidden_channels: int,
                 pool_ratios: Sequence[float] = (0.9, 0.7),
                 act: Callable[[Tensor], Tensor] = F.relu, dropout: float = 0.):
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.pool_ratios = tuple(pool_ratios)
        self.act = act
        self.dropout = dropout
        self.start_conv = ConnectomeGCNConv(in_channels, hidden_channels)
        self.pools = torch.nn.ModuleList(
            GraphPool(hidden_channels, ratio) for ratio in self.pool_ratios)
        self.down_convs = torch.nn.ModuleList(
            ConnectomeGCNConv(hidden_channels, hidden_channels)
            for _ in self.pool_ratios)
        self.unpool = GraphUnpool()
        self.up_convs = torch.nn.ModuleList(
            ConnectomeGCNConv(hidden_channels, hidden_channels)
            for _ in self.pool_ratios)
        self.reset_parameters()

    def reset_parameters(self):
        self.start_conv.reset_parameters()
        for module in (*self.pools, *self.down_convs, *self.up_convs):
            module.reset_parameters()

    def _conv(self, conv, x: Tensor, prop: Tensor) -> Tensor:
        x = F.dropout(x, self.dropout, training=self.training)
        return self.act(conv(x, prop, normalized=True))

    def forward(self, adj: Tensor, x: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        r"""
        Args:
            adj (Tensor): ``[B, N, N]`` (or ``[N, N]``) LR adjacency.
            x (Tensor, optional): ``[B, N, in_channels]`` node features;
                ``None`` (the paper's choice) means identity features.

        Returns:
            (Tensor, Tensor): :math:`\mathbf{Z}_0` and :math:`\mathbf{Z}_l`,
            both ``[B, N, hidden_channels]`` (no ``B`` for ``[N, N]``).
        """
        prop = gcn_norm_dense(adj)
        z0 = self.act(self.start_conv(x, prop, normalized=True))
        # Per level: features before pooling, propagation matrix, kept indices.
        levels = []
        h = z0
        for pool, conv in zip(self.pools, self.down_convs):
            levels.append((h, prop))
            h, adj, idx = pool(h, adj)
            prop = gcn_norm_dense(adj)
            h = self._conv(conv, h, prop)
            levels[-1] += (idx,)
        for conv, (skip, prop, idx) in zip(self.up_convs, reversed(levels)):
            h = self.unpool(h, idx, skip.size(-2)) + skip
            h = self._conv(conv, h, prop)
        return z0, h

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.hidden_channels}, pool_ratios={self.pool_ratios})')
