r"""NodeMapGSR: the training-mean HR connectome plus a gated, node-mapped
subject deviation. Not in the paper: a small model with the inductive bias
that HR regions are mixtures of LR regions."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Union

import torch
from torch import Tensor
from torch_geometric.data import Data

from ..presets import DEFAULT_PRESET, model_options
from ..utils.matrix import symmetrize
from ..utils.validation import check_sizes
from .base import SuperResolutionModel
from .losses import hr_loss
from .models import GSRLoss
from .node_map import NodeMap
from .ridge import RidgeBlend

_CALIBRATION_BATCH = 64  # subjects per forward pass of after_fit


@dataclass
class NodeMapOutput:
    r"""What :class:`NodeMapGSR` returns.

    Attributes:
        hr_adj (Tensor): ``[B, N_h, N_h]`` predicted HR connectomes.
        deviation (Tensor): ``[B, N_h, N_h]`` the mapped LR deviation
            :math:`\mathbf{X}`.
    """
    hr_adj: Tensor
    deviation: Tensor


class NodeMapGSR(SuperResolutionModel):
    r"""Predicts an HR connectome as a learned mean plus the subject's LR
    deviation from the LR mean, mapped to the HR nodes and gated per edge:

    .. math::
        \hat{\mathbf{A}}_h = \mathbf{B} + (\mathbf{1} + \mathbf{G}) \odot
        \mathbf{X}, \qquad
        \mathbf{X} = \mathbf{M} (\mathbf{A}_l - \bar{\mathbf{A}}_l)
        \mathbf{M}^\top,

    with :math:`\mathbf{M} \in \mathbb{R}^{N_h \times N_l}` a
    :class:`NodeMap`, :math:`\mathbf{B}, \mathbf{G} \in \mathbb{R}^{N_h
    \times N_h}` (symmetrised in the output) and :math:`\bar{\mathbf{A}}_l`
    the training-mean LR connectome (a buffer).

    :meth:`initialize` sets :math:`\mathbf{B}` to the training-mean HR
    connectome and :math:`\bar{\mathbf{A}}_l` to the training-mean LR one;
    :func:`torch_gsr.train.fit` calls it before training, so an untrained
    model starts as :class:`~torch_gsr.baselines.MeanHR` plus a small
    mapped deviation, and what it learns is subject-specific. The gate
    :math:`\mathbf{G}` starts at 0.

    With ``ridge_blend`` (the default), the prediction is finally blended
    with ridge regression's (:class:`~torch_gsr.nn.RidgeBlend`): the ridge
    part is fitted by :meth:`initialize` on the training subjects, the blend
    weight :math:`w` is 0 while training and is chosen afterwards by
    :func:`~torch_gsr.train.fit` on the validation subjects
    (``history.ridge_weight``). Where subjects differ along more directions
    than one node map captures, ridge is the better predictor and the blend
    follows it; where the map's structure fits, :math:`w` stays small.

    The loss is :math:`\mathcal{L}_{hr} + \frac{\mu}{2}(\|\mathbf{M}\|_F^2 +
    \|\mathbf{G}\|_F^2)` with :math:`\mu` = ``map_decay``: the L2 penalty
    spares :math:`\mathbf{B}` (shrinking the mean towards 0 costs accuracy
    everywhere). :class:`~torch_gsr.nn.GSRLoss`'s ``eig`` and ``rec`` are 0
    (no GSR layer, no autoencoder), and ``total`` includes the penalty.

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h` (``>= N_l``).
        preset (str): where the defaults come from
            (:data:`torch_gsr.presets.NODE_MAP_MODEL`, the same in every
            preset).
        map_decay (float): :math:`\mu \ge 0`. The default, ``1e-5``, was
            chosen on :class:`~torch_gsr.datasets.SyntheticConnectomes`
            (100 subjects; test MAE 0.0509, 0.0508, 0.0532, 0.0625 for
            ``0``, ``1e-5``, ``1e-4``, ``1e-3``).
    """
    spectral = False  # reads no eigenvectors: fit computes no LR spectra
    option_family = 'node_map'
    lr_mean: Tensor  # buffer: the training-mean LR connectome

    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.config = model_options(preset, family=self.option_family, **options)
        if not self.config['map_decay'] >= 0:
            raise ValueError(f"map_decay must be >= 0, got "
                             f"{self.config['map_decay']!r}")
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.map_decay = float(self.config['map_decay'])
        self.node_map = NodeMap(lr_nodes, hr_nodes)
        self.gate = torch.nn.Parameter(torch.empty(hr_nodes, hr_nodes))
        self.bias = torch.nn.Parameter(torch.empty(hr_nodes, hr_nodes))
        self.register_buffer('lr_mean', torch.empty(lr_nodes, lr_nodes))
        self.ridge_blend = (RidgeBlend(lr_nodes, hr_nodes)
                            if self.config['ridge_blend'] else None)
        self.reset_parameters()

    def reset_parameters(self):
        r"""Random map, zero gate, zero mean, no ridge part; :meth:`initialize`
        sets the means (and fits the ridge part) from data."""
        self.node_map.reset_parameters()
        if self.ridge_blend is not None:
            self.ridge_blend.reset_parameters()
        torch.nn.init.zeros_(self.gate)
        torch.nn.init.zeros_(self.bias)
        torch.nn.init.zeros_(self.lr_mean)

    @torch.no_grad()
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor) -> None:
        r"""Sets :math:`\bar{\mathbf{A}}_l` and :math:`\mathbf{B}` to the
        training means; with ``ridge_blend``, fits the ridge part and sets its
        weight to 0.

        Args:
            lr_adj (Tensor): ``[S, N_l, N_l]`` training LR connectomes.
            hr_adj (Tensor): ``[S, N_h, N_h]`` training HR connectomes.
        """
        lr_mean, hr_mean = self.training_means(lr_adj, hr_adj)
        self.lr_mean.copy_(lr_mean)
        self.bias.copy_(hr_mean)
        if self.ridge_blend is not None:
            self.ridge_blend.fit(lr_adj, hr_adj)

    def derived_state_keys(self) -> List[str]:
        r"""The ridge part's buffers, which :meth:`initialize` refits."""
        if self.ridge_blend is None:
            return []
        return [f'ridge_blend.ridge.{name}'
                for name, _ in self.ridge_blend.ridge.named_buffers()]

    @torch.no_grad()
    def after_fit(self, lr_adj: Tensor, hr_adj: Tensor) -> Dict[str, float]:
        r"""With ``ridge_blend``, chooses the blend weight on the validation
        subjects from the model's own predictions (made with weight 0)."""
        if self.ridge_blend is None:
            return {}
        self.ridge_blend.weight.zero_()
        was_training = self.training
        self.eval()
        try:
            model_hr_adj = torch.cat([
                self(part, validate=False).hr_adj
                for part in lr_adj.split(_CALIBRATION_BATCH)])
        finally:
            self.train(was_training)
        return dict(ridge_weight=self.ridge_blend.calibrate(lr_adj, model_hr_adj, hr_adj))

    def get_config(self) -> dict:
        """Everything needed to rebuild this model with
        :func:`~torch_gsr.nn.build_model`."""
        return dict(name=self.__class__.__name__, lr_nodes=self.lr_nodes,
                    hr_nodes=self.hr_nodes, **self.config)

    def forward(self, lr_adj: Union[Tensor, Data, None] = None,
                lr_eigvecs: Optional[Tensor] = None, validate: bool = True, *,
                edge_index: Optional[Tensor] = None,
                edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None) -> NodeMapOutput:
        r"""Predicts HR connectomes from LR ones.

        Args:
            lr_adj (Tensor or Data): ``[B, N_l, N_l]`` or ``[N_l, N_l]`` LR
                connectomes, or a ``Data``/``Batch`` of them (any form
                :meth:`GSRModel.forward` takes, sparse edges included).
            lr_eigvecs (Tensor, optional): ``[B, N_l, N_l]``, accepted for
                the interface of :class:`~torch_gsr.nn.GSRModel` (checked,
                unused).
            validate (bool): check that ``lr_adj`` is finite and symmetric.
            edge_index (Tensor, optional): ``[2, E]`` LR edges instead of
                ``lr_adj``.
            edge_weight (Tensor, optional): ``[E]`` their weights.
            batch (Tensor, optional): ``[B * N_l]`` graph of each node.

        Returns:
            NodeMapOutput: ``hr_adj`` is ``[B, N_h, N_h]``.
        """
        lr_adj, _ = self.read_input(lr_adj, lr_eigvecs, validate, edge_index,
                                    edge_weight, batch)
        deviation = self.node_map(lr_adj - self.lr_mean.to(lr_adj))
        hr_adj = symmetrize(self.bias + (1 + self.gate) * deviation)
        if self.ridge_blend is not None:
            hr_adj = self.ridge_blend(lr_adj, hr_adj)
        return NodeMapOutput(hr_adj=hr_adj, deviation=deviation)

    def loss(self, out: NodeMapOutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r"""The HR loss plus the L2 penalty (see the class doc).

        Args:
            out (NodeMapOutput): this model's output for the batch.
            hr_adj (Tensor): ``[B, N_h, N_h]`` target HR connectomes.
            hr_eigvecs (Tensor, optional): ignored (interface of
                :meth:`GSRModel.loss`).
            validate (bool): check that ``hr_adj`` is finite and symmetric.
        """
        hr_adj = self.read_target(hr_adj, out.hr_adj, validate)
        term_hr = hr_loss(out.hr_adj, hr_adj)
        penalty = self.map_decay / 2 * (self.node_map.weight.pow(2).sum()
                                        + self.gate.pow(2).sum())
        zero = term_hr.new_zeros(())
        return GSRLoss(term_hr + penalty, term_hr, zero, zero)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'map_decay={self.map_decay:g}, '
                f'ridge_blend={self.ridge_blend is not None})')
