r"""One subject's paired LR/HR connectomes as a PyG :class:`Data`."""
from typing import Any, Optional

import networkx as nx
import torch
import torch.serialization
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import from_networkx, to_networkx

from ..utils.sparse import sparse_view

DENSE_KEYS = ('lr_adj', 'hr_adj', 'lr_eigvecs', 'hr_eigvecs', 'adj')


class ConnectomePair(Data):
    r"""Paired connectomes of one subject.

    Attributes:
        lr_adj (Tensor): ``[1, N_l, N_l]`` dense LR adjacency.
        hr_adj (Tensor): ``[1, N_h, N_h]`` dense HR adjacency.
        lr_eigvecs (Tensor, optional): ``[1, N_l, N_l]`` cached LR spectrum.
        hr_eigvecs (Tensor, optional): ``[1, P, P]`` cached padded-HR spectrum.
        edge_index (LongTensor): ``[2, E]`` sparse LR view (no self-loops).
        edge_weight (Tensor): ``[E]`` its weights.
        num_nodes (int): ``N_l``.
        subject (str): subject id.

    The dense keys are concatenated along their leading dimension, so
    :class:`torch_geometric.loader.DataLoader` batches them to ``[B, N, N]``.

    Args:
        lr_adj (Tensor, optional): ``[N_l, N_l]`` or ``[1, N_l, N_l]``
            (``[B, N_l, N_l]`` when rebuilding a collated store).
        hr_adj (Tensor, optional): ``[N_h, N_h]`` or ``[1, N_h, N_h]``.
        subject (str, optional): subject id.
        **kwargs: further attributes; ``edge_index``/``edge_weight`` are
            derived from ``lr_adj`` unless given.
    """
    def __init__(self, lr_adj: Optional[Tensor] = None, hr_adj: Optional[Tensor] = None,
                 subject: Optional[str] = None, **kwargs):
        if lr_adj is not None:
            lr_adj = lr_adj.unsqueeze(0) if lr_adj.dim() == 2 else lr_adj
            if 'edge_index' not in kwargs:
                kwargs['edge_index'], kwargs['edge_weight'] = sparse_view(lr_adj)
            kwargs.setdefault('num_nodes', lr_adj.size(-1))
        if hr_adj is not None and hr_adj.dim() == 2:
            hr_adj = hr_adj.unsqueeze(0)
        super().__init__(lr_adj=lr_adj, hr_adj=hr_adj, subject=subject, **kwargs)

    def __cat_dim__(self, key: str, value: Any, *args, **kwargs) -> Any:
        if key in DENSE_KEYS:
            return 0
        return super().__cat_dim__(key, value, *args, **kwargs)

    def to_networkx(self, resolution: str = 'lr') -> nx.Graph:
        r"""The ``'lr'`` or ``'hr'`` connectome as an undirected networkx graph
        with edge attribute ``weight`` (self-loops dropped)."""
        adj = self._dense(resolution)[0]
        edge_index, edge_weight = sparse_view(adj)
        graph = Data(edge_index=edge_index, weight=edge_weight, num_nodes=adj.size(-1))
        return to_networkx(graph, edge_attrs=['weight'], to_undirected=True)

    @classmethod
    def from_networkx(cls, lr_graph: nx.Graph, hr_graph: nx.Graph,
                      subject: Optional[str] = None, diagonal: float = 1.) -> 'ConnectomePair':
        r"""Builds a pair from two weighted networkx graphs (edge attribute
        ``weight``, nodes in ``graph.nodes`` order); ``diagonal`` fills the
        diagonal, which graphs without self-loops do not carry."""
        return cls(_graph_to_dense(lr_graph, diagonal), _graph_to_dense(hr_graph, diagonal),
                   subject=subject)

    def _dense(self, resolution: str) -> Tensor:
        if resolution not in ('lr', 'hr'):
            raise ValueError(f"resolution must be 'lr' or 'hr', got {resolution!r}")
        return self.lr_adj if resolution == 'lr' else self.hr_adj


torch.serialization.add_safe_globals([ConnectomePair])


def _graph_to_dense(graph: nx.Graph, diagonal: float) -> Tensor:
    data = from_networkx(graph, group_edge_attrs=['weight'])
    adj = torch.zeros(data.num_nodes, data.num_nodes)
    if data.edge_index.numel():
        adj[data.edge_index[0], data.edge_index[1]] = data.edge_attr.view(-1).float()
    adj.fill_diagonal_(diagonal)
    return adj
