r"""Super-resolved brain graphs for downstream PyG models."""
from typing import List, Optional

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch, Data
from torch_geometric.data.datapipes import functional_transform
from torch_geometric.transforms import BaseTransform

from ..utils.sparse import lr_adj_of, sparse_view, strongest_edges

CONNECTOME_KEYS = ('lr_adj', 'hr_adj', 'lr_eigvecs', 'hr_eigvecs', 'x',
                   'edge_index', 'edge_weight', 'num_nodes', 'batch', 'ptr')
NODE_FEATURES = ('adjacency', None)


@functional_transform('graph_super_resolution')
class GraphSuperResolution(BaseTransform):
    r"""Maps a :class:`~torch_gsr.datasets.ConnectomePair` (or a batch of them)
    through a trained GSR model to the super-resolved HR graph, ready for a
    PyG model (e.g. a :class:`~torch_geometric.nn.GCNConv` classifier).

    Each result has

    * ``x`` ``[N_h, N_h]``: each node's row of the predicted HR adjacency
      (``node_features='adjacency'``), or no ``x`` (``None``);
    * ``edge_index`` ``[2, E]`` / ``edge_weight`` ``[E]``: the predicted
      graph without self-loops, all of it (:math:`N_h (N_h - 1)` edges) or,
      with ``top_k``/``threshold``, only its strongest edges
      (:func:`~torch_gsr.utils.sparse.strongest_edges`);
    * ``adj`` ``[1, N_h, N_h]``: the full prediction, dense;
    * ``num_nodes = N_h`` and every other attribute of the input
      (``subject``, ``y``, ...).

    A :class:`Batch` gives a :class:`Batch` (one model call for all of it);
    as a dataset ``transform`` or ``pre_transform`` it maps one subject at a
    time. The LR graph is the input's ``lr_adj``, or else its
    ``edge_index``/``edge_weight`` densified. The model runs under
    ``torch.no_grad()``, in eval mode, on its own device; cached
    ``lr_eigvecs`` are passed on when present.

    Args:
        model (torch.nn.Module): called as ``model(lr_adj, lr_eigvecs=...)``
            with ``lr_adj`` ``[B, N_l, N_l]``, returning an object with
            ``hr_adj`` ``[B, N_h, N_h]`` (every :class:`~torch_gsr.nn.GSRModel`).
        node_features (str, optional): ``'adjacency'`` or ``None``.
            (default: :obj:`'adjacency'`)
        top_k (int, optional): keep each node's ``top_k`` strongest edges.
        threshold (float, optional): keep the edges of weight at least
            ``threshold`` (at most one of ``top_k`` and ``threshold``).
    """
    def __init__(self, model: nn.Module, node_features: Optional[str] = 'adjacency',
                 top_k: Optional[int] = None, threshold: Optional[float] = None):
        if node_features not in NODE_FEATURES:
            raise ValueError(f"node_features must be 'adjacency' or None, "
                             f"got {node_features!r}")
        if top_k is not None and threshold is not None:
            raise ValueError("pass at most one of top_k and threshold")
        self.model = model
        self.node_features = node_features
        self.top_k, self.threshold = top_k, threshold

    def forward(self, data: Data) -> Data:
        """The super-resolved HR graphs of ``data`` (a ``Data`` or a ``Batch``)."""
        hr_adj = self._predict(data)
        kept = hr_adj
        if self.top_k is not None or self.threshold is not None:
            kept = strongest_edges(hr_adj, self.top_k, self.threshold)
        num_nodes = hr_adj.size(-1)
        edge_index, edge_weight = sparse_view(kept)
        graph = edge_index[0] // num_nodes
        sizes = torch.bincount(graph, minlength=hr_adj.size(0)).tolist()
        edge_index = edge_index - graph * num_nodes
        graphs = [Data(adj=adj.unsqueeze(0), edge_index=index, edge_weight=weight,
                       num_nodes=num_nodes, **self._features(adj), **extra)
                  for adj, index, weight, extra in zip(
                      hr_adj, edge_index.split(sizes, dim=1),
                      edge_weight.split(sizes), self._extras(data), strict=True)]
        return Batch.from_data_list(graphs) if isinstance(data, Batch) else graphs[0]

    def _features(self, adj: Tensor) -> dict:
        return {} if self.node_features is None else {'x': adj}

    def _predict(self, data: Data) -> Tensor:
        device = next(self.model.parameters()).device
        lr_adj = lr_adj_of(data, getattr(self.model, 'lr_nodes', None))
        lr_eigvecs = data.get('lr_eigvecs')
        training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(lr_adj.to(device), lr_eigvecs=None if lr_eigvecs is None
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
        options = [f'node_features={self.node_features!r}']
        if self.top_k is not None:
            options.append(f'top_k={self.top_k}')
        if self.threshold is not None:
            options.append(f'threshold={self.threshold}')
        return (f'{self.__class__.__name__}({self.model.__class__.__name__}, '
                f'{", ".join(options)})')
