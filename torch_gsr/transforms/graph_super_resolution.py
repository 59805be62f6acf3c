r"""Super-resolved brain graphs for downstream PyG models."""
from typing import List

import torch
from torch import nn
from torch_geometric.data import Batch, Data
from torch_geometric.transforms import BaseTransform

from ..utils.sparse import sparse_view

CONNECTOME_KEYS = ('lr_adj', 'hr_adj', 'lr_eigvecs', 'hr_eigvecs',
                   'edge_index', 'edge_weight', 'num_nodes', 'batch', 'ptr')


class GraphSuperResolution(BaseTransform):
    r"""Maps a :class:`~torch_gsr.datasets.ConnectomePair` (or a batch of them)
    through a trained GSR model to the super-resolved HR graph.

    The result has ``adj`` ``[1, N_h, N_h]`` (``[B, N_h, N_h]`` for a batch),
    its sparse view ``edge_index``/``edge_weight`` (self-loops removed),
    ``num_nodes = N_h``, and every other attribute of the input (``subject``,
    ``y``, ...), so it can feed any PyG model. A batch gives a :class:`Batch`.
    The model runs once per call, under ``torch.no_grad()``, in eval mode, on
    its own device; cached ``lr_eigvecs`` are passed on when present.

    Args:
        model (torch.nn.Module): called as ``model(lr_adj, lr_eigvecs=...)``
            and returning an object with ``hr_adj`` ``[B, N_h, N_h]``.
    """
    def __init__(self, model: nn.Module):
        self.model = model

    def forward(self, data: Data) -> Data:
        hr_adj = self._predict(data)
        edge_index, edge_weight = sparse_view(hr_adj)
        sizes = torch.bincount(edge_index[0] // hr_adj.size(-1), minlength=hr_adj.size(0))
        edge_index = edge_index - edge_index[0] // hr_adj.size(-1) * hr_adj.size(-1)
        graphs = [Data(adj=adj.unsqueeze(0), edge_index=index, edge_weight=weight,
                       num_nodes=hr_adj.size(-1), **extra)
                  for adj, index, weight, extra in zip(
                      hr_adj, edge_index.split(sizes.tolist(), dim=1),
                      edge_weight.split(sizes.tolist()), self._extras(data))]
        return Batch.from_data_list(graphs) if isinstance(data, Batch) else graphs[0]

    def _predict(self, data: Data) -> torch.Tensor:
        device = next(self.model.parameters()).device
        lr_eigvecs = data.get('lr_eigvecs')
        training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(data.lr_adj.to(device), lr_eigvecs=None if lr_eigvecs is None
                                 else lr_eigvecs.to(device))
        finally:
            self.model.train(training)
        return out.hr_adj

    @staticmethod
    def _extras(data: Data) -> List[dict]:
        graphs = data.to_data_list() if isinstance(data, Batch) else [data]
        return [{key: value for key, value in graph.items() if key not in CONNECTOME_KEYS}
                for graph in graphs]

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.model.__class__.__name__})'
