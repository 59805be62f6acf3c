"""Graph convolution on weighted connectomes by sparse message passing."""
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Parameter
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.typing import Adj, SparseTensor
from torch_geometric.utils import (
    add_self_loops,
    is_torch_sparse_tensor,
    remove_self_loops,
    scatter,
    spmm,
    to_edge_index,
    to_torch_csr_tensor,
)


def gcn_norm_sparse(edge_index: Tensor, edge_weight: Optional[Tensor],
                    num_nodes: int) -> Tuple[Tensor, Tensor]:
    r"""The sparse form of :func:`~torch_gsr.nn.gcn_norm_dense`: the weights
    of :math:`\hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2}`, where :math:`\hat{A}`
    is the graph with any self-loop replaced by one of weight 1 and the
    degrees (summed at each edge's target) are clamped to at least one.

    Args:
        edge_index (Tensor): ``[2, E]`` edges ``(source, target)``.
        edge_weight (Tensor, optional): ``[E]`` weights (default: ones).
        num_nodes (int): node count (all graphs of a batch together).

    Returns:
        (Tensor, Tensor): ``edge_index`` ``[2, E' + num_nodes]`` with the
        unit self-loops appended, and its normalised weights.
    """
    edge_index, edge_weight = remove_self_loops(edge_index, edge_weight)
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
    edge_index, edge_weight = add_self_loops(edge_index, edge_weight,
                                             fill_value=1., num_nodes=num_nodes)
    source, target = edge_index
    degree = scatter(edge_weight, target, dim=0, dim_size=num_nodes, reduce='sum')
    deg_inv_sqrt = degree.clamp(min=1).pow(-0.5)
    return edge_index, deg_inv_sqrt[source] * edge_weight * deg_inv_sqrt[target]


def _normalize_layout(adj_t) -> Tensor:
    r"""Normalises a sparse-layout adjacency (``SparseTensor`` or
    ``torch.sparse``, PyG's transposed ``adj_t[target, source]``) and returns
    it in a layout :func:`~torch_geometric.utils.spmm` multiplies fast."""
    num_nodes = adj_t.size(0)
    index_t, weight = to_edge_index(adj_t)
    index, weight = gcn_norm_sparse(index_t.flip(0), weight, num_nodes)
    target, source = index[1], index[0]
    if isinstance(adj_t, SparseTensor):
        return SparseTensor(row=target, col=source, value=weight,
                            sparse_sizes=(num_nodes, num_nodes))
    return to_torch_csr_tensor(torch.stack([target, source]), weight,
                               size=(num_nodes, num_nodes))


class SparseConnectomeGCNConv(MessagePassing):
    r"""The graph convolution of :class:`~torch_gsr.nn.ConnectomeGCNConv` by
    message passing,

    .. math::
        \mathbf{x}'_i = \sum_{j \in \mathcal{N}(i) \cup \{i\}}
        \frac{e_{j,i}}{\sqrt{\hat{d}_j \hat{d}_i}} \mathbf{\Theta}^\top
        \mathbf{x}_j + \mathbf{b} \; \Big[ + \mathbf{\Theta}_{root}^\top
        \mathbf{x}_i \Big], \qquad \hat{d}_i = \max\Big(1, 1 + \sum_{j \neq i}
        e_{j,i}\Big),

    with a self-loop of weight :math:`e_{i,i} = 1` in place of any given one.
    Same parameters (state dicts are interchangeable) and same numbers as the
    dense layer on the same symmetric graph, in memory that grows with the
    edges instead of :math:`N^2`.

    Args:
        in_channels (int): input feature size (nodes per graph when ``x`` is
            :obj:`None`).
        out_channels (int): output feature size.
        bias (bool): learn an additive bias. (default: :obj:`True`)
        root_weight (bool): add each node's own features through a separate
            weight :math:`\mathbf{\Theta}_{root}`. (default: :obj:`False`)

    Shapes:
        - **input:**
          node features :math:`(|\mathcal{V}|, F_{in})` or :obj:`None`,
          edge indices :math:`(2, |\mathcal{E}|)` or a sparse matrix
          :math:`(|\mathcal{V}|, |\mathcal{V}|)`,
          edge weights :math:`(|\mathcal{E}|)` *(optional)*
        - **output:** node features :math:`(|\mathcal{V}|, F_{out})`
    """
    def __init__(self, in_channels: int, out_channels: int, bias: bool = True,
                 root_weight: bool = False):
        super().__init__(aggr='add')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.lin = Linear(in_channels, out_channels, bias=False,
                          weight_initializer='glorot')
        self.lin_root = (Linear(in_channels, out_channels, bias=False,
                                weight_initializer='glorot')
                         if root_weight else None)
        self.bias = Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        super().reset_parameters()
        self.lin.reset_parameters()
        if self.lin_root is not None:
            self.lin_root.reset_parameters()
        if self.bias is not None:
            torch.nn.init.zeros_(self.bias)

    def forward(self, x: Optional[Tensor], edge_index: Adj,
                edge_weight: Optional[Tensor] = None,
                num_nodes: Optional[int] = None,
                normalized: bool = False) -> Tensor:
        r"""Convolves ``x`` over the sparse graph.

        Args:
            x (Tensor, optional): ``[num_nodes, F_in]`` node features, or
                ``None`` for identity features of graphs of ``F_in`` nodes
                each (a batch of ``num_nodes / F_in`` of them).
            edge_index (Tensor or SparseTensor): ``[2, E]`` edges, or a
                ``[num_nodes, num_nodes]`` sparse matrix.
            edge_weight (Tensor, optional): ``[E]`` edge weights (default:
                ones; unused with a sparse matrix, which holds them).
            num_nodes (int, optional): node count; needed with ``x=None``
                and ``edge_index`` (otherwise read off ``x``).
            normalized (bool): the graph already went through
                :func:`gcn_norm_sparse` (self-loops included), so layers
                sharing a graph normalise it once.

        Returns:
            Tensor: ``[num_nodes, F_out]``.
        """
        is_layout = isinstance(edge_index, SparseTensor) or is_torch_sparse_tensor(edge_index)
        if is_layout:
            num_nodes = edge_index.size(0)
        elif x is not None:
            num_nodes = x.size(0)
        elif num_nodes is None:
            raise ValueError("identity features (x=None) with edge_index need "
                             "num_nodes")
        if not normalized:
            if is_layout:
                edge_index = _normalize_layout(edge_index)
            else:
                edge_index, edge_weight = gcn_norm_sparse(edge_index, edge_weight,
                                                          num_nodes)
        out = self.propagate(edge_index, x=self._transform(self.lin, x, num_nodes),
                             edge_weight=edge_weight)
        if self.lin_root is not None:
            out = out + self._transform(self.lin_root, x, num_nodes)
        return out if self.bias is None else out + self.bias

    def _transform(self, lin: Linear, x: Optional[Tensor], num_nodes: int) -> Tensor:
        if x is not None:
            return lin(x)
        if num_nodes % self.in_channels:
            raise ValueError(f"identity features need graphs of "
                             f"{self.in_channels} nodes, got {num_nodes} nodes")
        # I W = W: the identity features are read off, never multiplied out.
        return lin.weight.t().repeat(num_nodes // self.in_channels, 1)

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        """Each neighbour's features, scaled by the normalised edge weight."""
        return edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: Adj, x: Tensor) -> Tensor:
        """The propagation as one sparse matrix product (``spmm``)."""
        return spmm(adj_t, x, reduce=self.aggr)

    def __repr__(self) -> str:
        root = ', root_weight=True' if self.lin_root is not None else ''
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}{root})')
