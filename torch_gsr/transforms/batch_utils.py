r"""Setting attributes on a :class:`Data` or on a whole :class:`Batch` of
equal-sized graphs, keeping the batch splittable (``to_data_list``): the
values are computed for the whole batch at once, then the batch is rebuilt
from its graphs with the public :meth:`Batch.from_data_list`."""
from typing import Dict, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

from ..utils.sparse import sparse_view


def _set_per_graph(batch: Batch, values: Dict[str, Sequence[Tensor]]) -> Batch:
    graphs = batch.to_data_list()
    for key, per_graph in values.items():
        for graph, value in zip(graphs, per_graph, strict=True):
            graph[key] = value
    return Batch.from_data_list(graphs)


def set_dense(data: Data, key: str, value: Tensor) -> Data:
    r"""Stores a dense ``[B, N, N]`` tensor (``B = 1`` for a single graph);
    returns ``data`` (a new :class:`Batch` for a batch)."""
    if isinstance(data, Batch):
        return _set_per_graph(data, {key: value.split(1)})
    data[key] = value
    return data


def set_sparse(data: Data, adj: Tensor) -> Data:
    r"""Replaces ``edge_index``/``edge_weight`` by the sparse view of ``adj``
    ``[B, N, N]``; returns ``data`` (a new :class:`Batch` for a batch, whose
    edge indices :meth:`Batch.from_data_list` offsets by ``N`` per graph)."""
    edge_index, edge_weight = sparse_view(adj)
    if not isinstance(data, Batch):
        data.edge_index, data.edge_weight = edge_index, edge_weight
        return data
    num_nodes = adj.size(-1)
    graph = edge_index[0] // num_nodes
    sizes = torch.bincount(graph, minlength=adj.size(0)).tolist()
    local_index = edge_index - graph * num_nodes
    return _set_per_graph(data, {'edge_index': local_index.split(sizes, dim=1),
                                 'edge_weight': edge_weight.split(sizes)})
