r"""Setting attributes on a :class:`Data` or on a whole :class:`Batch` of
equal-sized graphs, keeping the batch splittable (``to_data_list``)."""
import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

from ..utils.sparse import sparse_view


def _set_slices(data: Batch, key: str, sizes: Tensor, incs: Tensor) -> None:
    slices = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)])
    data._slice_dict = {**data._slice_dict, key: slices}
    data._inc_dict = {**data._inc_dict, key: incs}


def set_dense(data: Data, key: str, value: Tensor) -> Data:
    r"""Stores a dense ``[B, N, N]`` tensor (``B = 1`` for a single graph)."""
    data[key] = value
    if isinstance(data, Batch):
        ones = torch.ones(value.size(0), dtype=torch.long)
        _set_slices(data, key, ones, torch.zeros_like(ones))
    return data


def set_sparse(data: Data, adj: Tensor) -> Data:
    r"""Replaces ``edge_index``/``edge_weight`` by the sparse view of ``adj``
    ``[B, N, N]``; in a batch the edge indices are offset by ``N`` per graph."""
    edge_index, edge_weight = sparse_view(adj)
    data.edge_index, data.edge_weight = edge_index, edge_weight
    if isinstance(data, Batch):
        sizes = torch.bincount(edge_index[0] // adj.size(-1), minlength=adj.size(0)).cpu()
        offsets = torch.arange(adj.size(0)) * adj.size(-1)
        _set_slices(data, 'edge_index', sizes, offsets)
        _set_slices(data, 'edge_weight', sizes, torch.zeros_like(offsets))
    return data
