"""The Graph U-Autoencoder of GSR-Net (paper, section 2.1)."""
from functools import partial
from typing import Callable, Optional, Sequence, Tuple, Union, cast

import torch
import torch.nn.functional as F
from torch import Tensor

from ..activation import resolve_activation
from ..conv.gcn_conv import ConnectomeGCNConv
from ..conv.sparse_gcn_conv import SparseConnectomeGCNConv
from ..edge_batch import EdgeBatch, Graph, convolve, normalize, pool_graph
from ..pool.graph_pool import GraphPool, GraphUnpool


def check_graph_kind(graph: Graph, sparse: bool, owner: str) -> None:
    r"""Raises a ``TypeError`` when ``graph`` is not stored as a module built
    with ``sparse`` expects (an :class:`EdgeBatch` or a dense tensor)."""
    if sparse != isinstance(graph, EdgeBatch):
        expected = 'an EdgeBatch' if sparse else 'a dense [B, N, N] tensor'
        raise TypeError(f"{owner} was built with sparse={sparse}: its graph must "
                        f"be {expected}, got {type(graph).__name__}")


class GraphUAutoencoder(torch.nn.Module):
    r"""The Graph U-Autoencoder of GSR-Net (paper, section 2.1): node
    embeddings of a featureless LR connectome,

    .. math::
        \mathbf{Z}_0 = \sigma\big(\hat{\mathbf{A}} \mathbf{I}_N
        \mathbf{\Theta}_0\big), \qquad
        \mathbf{Z}_l = \mathrm{Dec}\big(\mathrm{Enc}(\mathbf{Z}_0,
        \hat{\mathbf{A}})\big),

    with :math:`\hat{\mathbf{A}}` the GCN propagation matrix; each encoding
    module pools (:class:`GraphPool`) then convolves; each decoding module
    unpools (:class:`GraphUnpool`), adds the matching encoder level's features
    and convolves on that level's graph.

    Args:
        in_channels (int): number of LR nodes :math:`N` (identity features).
        hidden_channels (int): embedding size (the paper: :math:`K N`).
        pool_ratios (sequence of float): one ratio per encoding module.
            (default: :obj:`(0.9, 0.7)`)
        act (str or callable, optional): activation after every GCN.
            (default: :obj:`'relu'`)
        dropout (float): dropout on the features entering each GCN after the
            first. (default: :obj:`0.`)
        sparse (bool): graphs come as an :class:`EdgeBatch` and the GCNs are
            :class:`SparseConnectomeGCNConv`. (default: :obj:`False`)
        root_weight (bool): the GCNs' root weight. (default: :obj:`False`)

    Shapes:
        - **input:**
          node features :math:`(B, N, N)` or :obj:`None` (identity),
          adjacency :math:`(B, N, N)`, :math:`(N, N)` or an :class:`EdgeBatch`
        - **output:** :math:`\mathbf{Z}_0` and :math:`\mathbf{Z}_l`, both
          :math:`(B, N, F_{hid})` (no :math:`B` for :math:`(N, N)` input)
    """
    def __init__(self, in_channels: int, hidden_channels: int,
                 pool_ratios: Sequence[float] = (0.9, 0.7),
                 act: Union[str, Callable, None] = 'relu', dropout: float = 0.,
                 sparse: bool = False, root_weight: bool = False):
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.pool_ratios = tuple(pool_ratios)
        self.act = resolve_activation(act)
        self.dropout = dropout
        self.sparse = sparse
        self.root_weight = root_weight
        conv = partial(SparseConnectomeGCNConv if sparse else ConnectomeGCNConv,
                       root_weight=root_weight)
        self.start_conv = conv(in_channels, hidden_channels)
        self.pools = torch.nn.ModuleList(
            GraphPool(hidden_channels, ratio) for ratio in self.pool_ratios)
        self.down_convs = torch.nn.ModuleList(
            conv(hidden_channels, hidden_channels) for _ in self.pool_ratios)
        self.unpool = GraphUnpool()
        self.up_convs = torch.nn.ModuleList(
            conv(hidden_channels, hidden_channels) for _ in self.pool_ratios)
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        self.start_conv.reset_parameters()
        for module in (*self.pools, *self.down_convs, *self.up_convs):
            module.reset_parameters()

    def _conv(self, conv, x: Tensor, prop: Graph) -> Tensor:
        x = F.dropout(x, self.dropout, training=self.training)
        return self.act(convolve(conv, x, prop))

    def forward(self, x: Optional[Tensor], adj: Graph) -> Tuple[Tensor, Tensor]:
        r"""Embeds every LR graph of the batch.

        Args:
            x (Tensor, optional): node features; :obj:`None` (the paper's
                choice) means identity features.
            adj (Tensor or EdgeBatch): LR adjacency, an :class:`EdgeBatch`
                when built with ``sparse=True``.
        """
        check_graph_kind(adj, self.sparse, self.__class__.__name__)
        prop = normalize(adj)
        z0 = self.act(convolve(self.start_conv, x, prop))
        # Per level: features before pooling, propagation matrix, kept indices.
        levels = []
        h = z0
        for pool, conv in zip(self.pools, self.down_convs, strict=True):
            skip = h
            h, idx = cast(GraphPool, pool).select(h)
            levels.append((skip, prop, idx))
            adj = pool_graph(adj, idx)
            prop = normalize(adj)
            h = self._conv(conv, h, prop)
        for conv, (skip, prop, idx) in zip(self.up_convs, reversed(levels), strict=True):
            h = self.unpool(h, idx, skip.size(-2)) + skip
            h = self._conv(conv, h, prop)
        return z0, h

    def __repr__(self) -> str:
        sparse = ', sparse=True' if self.sparse else ''
        root = ', root_weight=True' if self.root_weight else ''
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.hidden_channels}, pool_ratios={self.pool_ratios}'
                f'{sparse}{root})')
