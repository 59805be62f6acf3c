r"""A batch of same-atlas graphs stored sparsely, and the three graph
operations GSR-Net's encoders need (normalise, convolve, pool) on graphs
stored either densely (``[B, N, N]``) or as an :class:`EdgeBatch`."""
from typing import NamedTuple, Optional, Union

import torch
from torch import Tensor
from torch_geometric.utils import to_torch_csr_tensor

from ..utils.sparse import sparse_view
from .conv.gcn_conv import gcn_norm_dense
from .conv.sparse_gcn_conv import gcn_norm_sparse
from .pool.graph_pool import pool_dense_adj, pool_edges


class EdgeBatch(NamedTuple):
    r"""``num_graphs`` graphs of ``num_nodes`` nodes each (connectomes of
    one atlas), as edges numbered like a PyG batch: graph ``b``'s nodes are
    ``b * num_nodes, ..., (b + 1) * num_nodes - 1``. Node features stay
    dense and batched, ``[B, N, F]``: only the graph is sparse.

    Attributes:
        edge_index (Tensor): ``[2, E]``; after :func:`normalize`, the
            normalised ``[B N, B N]`` propagation matrix as a
            ``torch.sparse`` CSR tensor (PyG's ``adj_t``).
        edge_weight (Tensor, optional): ``[E]`` (``None`` after
            :func:`normalize`).
        num_graphs (int): ``B``.
        num_nodes (int): ``N``, nodes per graph.
        normalized (bool): built by :func:`normalize`.
    """
    edge_index: Tensor
    edge_weight: Optional[Tensor]
    num_graphs: int
    num_nodes: int
    normalized: bool = False

    @classmethod
    def from_dense(cls, adj: Tensor) -> 'EdgeBatch':
        r"""The non-zero off-diagonal entries of ``adj`` ``[B, N, N]``."""
        return cls(*sparse_view(adj), adj.size(0), adj.size(-1))


Graph = Union[Tensor, EdgeBatch]


def normalize(graph: Graph) -> Graph:
    r"""The GCN propagation matrix of a dense graph (:func:`gcn_norm_dense`)
    or of an :class:`EdgeBatch` (:func:`gcn_norm_sparse`).

    Args:
        graph (Tensor or EdgeBatch): ``[B, N, N]`` adjacency or its edges.
    """
    if isinstance(graph, Tensor):
        return gcn_norm_dense(graph)
    num_nodes = graph.num_graphs * graph.num_nodes
    (source, target), weight = gcn_norm_sparse(graph.edge_index, graph.edge_weight,
                                               num_nodes)
    adj_t = to_torch_csr_tensor(torch.stack([target, source]), weight,
                                size=(num_nodes, num_nodes))
    return graph._replace(edge_index=adj_t, edge_weight=None, normalized=True)


def convolve(conv, x: Optional[Tensor], prop: Graph) -> Tensor:
    r"""Applies ``conv`` over the propagation matrix :func:`normalize` gave;
    ``[B, N, F_out]``.

    Args:
        conv (Module): a :class:`~torch_gsr.nn.ConnectomeGCNConv` for a dense
            ``prop``, a :class:`~torch_gsr.nn.SparseConnectomeGCNConv` for an
            :class:`EdgeBatch`.
        x (Tensor, optional): ``[B, N, F]`` features; :obj:`None` for identity.
        prop (Tensor or EdgeBatch): the normalised graph.
    """
    if isinstance(prop, Tensor):
        return conv(x, prop, normalized=True)
    num_nodes = prop.num_graphs * prop.num_nodes
    out = conv(None if x is None else x.reshape(num_nodes, -1), prop.edge_index,
               prop.edge_weight, num_nodes=num_nodes, normalized=prop.normalized)
    return out.view(prop.num_graphs, prop.num_nodes, -1)


def pool_graph(graph: Graph, idx: Tensor) -> Graph:
    r"""The subgraphs induced by the kept nodes, stored as ``graph`` is.

    Args:
        graph (Tensor or EdgeBatch): ``[B, N, N]`` adjacency or its edges
            (not normalised).
        idx (Tensor): ``[B, k]`` the nodes :class:`~torch_gsr.nn.GraphPool`
            kept.
    """
    if isinstance(graph, Tensor):
        return pool_dense_adj(graph, idx)
    if graph.edge_weight is None:
        raise ValueError("pool_graph pools raw graphs, not normalized ones")
    edge_index, edge_weight = pool_edges(graph.edge_index, graph.edge_weight, idx,
                                         graph.num_nodes)
    return EdgeBatch(edge_index, edge_weight, graph.num_graphs, idx.size(-1))
