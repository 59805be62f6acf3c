r"""What every super-resolution model in :mod:`torch_gsr.nn` shares: reading
its LR input in any form a PyG pipeline holds, and handing its predictions
back as PyG graphs."""
from typing import Any, ClassVar, Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor
from torch_geometric.data import Data

from ..config.fit import PAPER_FIT, RECOMMENDED_FIT, FitConfig
from ..transforms.graph_super_resolution import GraphSuperResolution
from ..utils.sparse import dense_connectomes, lr_adj_of
from ..utils.validation import check_adjacency, check_eigvecs


class SuperResolutionModel(torch.nn.Module):
    r"""Base of the models: a subclass sets ``lr_nodes`` and ``hr_nodes``
    and implements ``forward(lr_adj, lr_eigvecs=None, validate=True, *,
    edge_index=None, edge_weight=None, batch=None)`` starting with
    :meth:`read_input`, and ``loss(out, hr_adj, hr_eigvecs=None,
    validate=True)``; :func:`torch_gsr.train.fit` trains any such model."""
    lr_nodes: int
    hr_nodes: int
    #: Whether ``forward`` reads LR eigenvectors (and ``loss`` HR ones).
    spectral: bool = False
    #: The :func:`~torch_gsr.train.fit` settings of each named preset.
    fit_presets: ClassVar[Dict[str, FitConfig]] = {
        'paper': PAPER_FIT, 'recommended': RECOMMENDED_FIT}

    def initialize(self, lr_adj: Tensor, hr_adj: Tensor) -> None:
        r"""Called by :func:`~torch_gsr.train.fit` with the training
        subjects before the first update (no-op by default)."""

    def after_fit(self, lr_adj: Tensor, hr_adj: Tensor) -> Dict[str, float]:
        r"""Called by :func:`~torch_gsr.train.fit` with the validation
        subjects after training; returns values to record in the history
        (none by default)."""
        return {}

    def get_config(self) -> dict:
        r"""Everything :func:`~torch_gsr.nn.build_model` needs to rebuild
        this model."""
        raise NotImplementedError

    def loss(self, out: Any, hr_adj: Tensor, hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> Any:
        r"""The loss terms of ``out`` against ``hr_adj``, ``.total`` first."""
        raise NotImplementedError

    def derived_state_keys(self) -> List[str]:
        r"""The state keys :meth:`initialize` recomputes exactly from the
        training subjects (none by default)."""
        return []

    def read_input(self, lr_adj: Union[Tensor, Data, None] = None,
                   lr_eigvecs: Optional[Tensor] = None, validate: bool = True,
                   edge_index: Optional[Tensor] = None,
                   edge_weight: Optional[Tensor] = None,
                   batch: Optional[Tensor] = None
                   ) -> Tuple[Tensor, Optional[Tensor]]:
        r"""The checked ``[B, N, N]`` LR connectomes and LR eigenvectors (or
        ``None``) of any input :meth:`forward` takes; subclasses with their
        own ``forward`` start with it."""
        if isinstance(lr_adj, Data):
            if edge_index is not None:
                raise ValueError("pass either a Data or edge_index, not both")
            if lr_eigvecs is None:
                lr_eigvecs = lr_adj.get('lr_eigvecs')
            lr_adj = lr_adj_of(lr_adj, self.lr_nodes, validate)
        elif edge_index is not None:
            if lr_adj is not None:
                raise ValueError("pass either lr_adj or edge_index, not both")
            lr_adj = dense_connectomes(edge_index, edge_weight, batch,
                                       self.lr_nodes, validate)
        elif lr_adj is None:
            raise ValueError("no LR graph: pass lr_adj, a Data/Batch, or "
                             "edge_index (with edge_weight and batch)")
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes,
                                 values=validate)
        if lr_eigvecs is not None:
            lr_eigvecs = check_eigvecs(lr_eigvecs, 'lr_eigvecs', lr_adj.size(0),
                                       self.lr_nodes, like=lr_adj)
        return lr_adj, lr_eigvecs

    def training_means(self, lr_adj: Tensor, hr_adj: Tensor
                       ) -> Tuple[Tensor, Tensor]:
        r"""The checked training-mean LR ``[N_l, N_l]`` and HR ``[N_h, N_h]``
        connectomes of ``lr_adj`` ``[S, N_l, N_l]`` and ``hr_adj``
        ``[S, N_h, N_h]``, for models whose ``initialize(lr_adj, hr_adj)``
        (called by :func:`~torch_gsr.train.fit` before the first update)
        starts from them."""
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes)
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes)
        if lr_adj.size(0) != hr_adj.size(0):
            raise ValueError(f"lr_adj holds {lr_adj.size(0)} subjects but "
                             f"hr_adj holds {hr_adj.size(0)}")
        return lr_adj.mean(0), hr_adj.mean(0)

    def read_target(self, hr_adj: Tensor, prediction: Tensor,
                    validate: bool = True) -> Tensor:
        r"""The checked ``[B, N_h, N_h]`` targets of ``prediction``
        ``[B, N_h, N_h]``, in its dtype and on its device; every ``loss``
        starts with it."""
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes,
                                 values=validate)
        if hr_adj.size(0) != prediction.size(0):
            raise ValueError(f"hr_adj holds {hr_adj.size(0)} subjects but the "
                             f"prediction holds {prediction.size(0)}")
        return hr_adj.to(prediction)

    def predict_graphs(self, data: Data, **options) -> Data:
        r"""The predicted HR graphs of ``data`` (a
        :class:`~torch_gsr.datasets.ConnectomePair` or a :class:`Batch`) as
        PyG graphs ready for a downstream model: shorthand for
        ``GraphSuperResolution(self, **options)(data)``
        (:class:`~torch_gsr.transforms.GraphSuperResolution`: node features,
        sparsification, attributes kept)."""
        return GraphSuperResolution(self, **options)(data)
