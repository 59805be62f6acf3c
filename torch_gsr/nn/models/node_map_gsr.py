r"""NodeMapGSR: the training-mean HR connectome plus a gated, node-mapped
subject deviation. Not in the paper: a small model with the inductive bias
that HR regions are mixtures of LR regions."""
from dataclasses import dataclass
from typing import ClassVar, Dict, List, Optional

import torch
from torch import Tensor

from ...config.models import check_non_negative
from ...utils.matrix import symmetrize
from ...utils.validation import check_sizes
from ..base import SuperResolutionModel, preset_options
from ..layers.node_map import NodeMap
from ..losses import hr_loss
from ..maps.ridge import RidgeBlend
from ..registry import register_model
from .gsr_model import GSRLoss


@dataclass(frozen=True)
class NodeMapConfig:
    r"""Options of :class:`~torch_gsr.nn.NodeMapGSR` (documented in the
    model; the same in both presets)."""
    map_decay: float = 1e-5
    ridge_blend: bool = True
    softmax_map: bool = True
    # Where each `paper` value comes from (docs/presets.md).
    sources: ClassVar[Dict[str, str]] = {
        'map_decay': 'this package (not a published model)',
        'ridge_blend': 'this package (not a published model)',
        'softmax_map': 'this package (not a published model)',
    }

    def __post_init__(self):
        check_non_negative(self, 'map_decay')


PAPER_NODE_MAP = RECOMMENDED_NODE_MAP = NodeMapConfig()


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


@register_model
class NodeMapGSR(SuperResolutionModel):
    r"""A learned mean plus the subject's LR deviation from the LR mean,
    mapped to the HR nodes and gated per edge:

    .. math::
        \hat{\mathbf{A}}_h = \mathbf{B} + (\mathbf{1} + \mathbf{G}) \odot
        \mathbf{M} (\mathbf{A}_l - \bar{\mathbf{A}}_l) \mathbf{M}^\top,

    with :math:`\mathbf{M} \in \mathbb{R}^{N_h \times N_l}` a
    :class:`NodeMap` (with ``softmax_map``, scaled rows on the simplex),
    :math:`\mathbf{B}, \mathbf{G} \in \mathbb{R}^{N_h \times N_h}`
    (symmetrised in the output; :math:`\mathbf{G}` starts at 0) and
    :math:`\bar{\mathbf{A}}_l` the training-mean LR connectome.
    :meth:`initialize` sets :math:`\mathbf{B}` and :math:`\bar{\mathbf{A}}_l`
    to the training means. With ``ridge_blend``, the prediction is blended
    with ridge regression's (:class:`~torch_gsr.nn.RidgeBlend`, fitted by
    :meth:`initialize`, its weight chosen by :meth:`after_fit`). The loss is
    :math:`\mathcal{L}_{hr} + \frac{\mu}{2}(\|\mathbf{\Theta}\|_F^2 +
    \|\mathbf{G}\|_F^2)` in ``total``, :math:`\mathbf{\Theta}` the map's
    parameter (``eig`` and ``rec`` are 0).

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h` (``>= N_l``).
        preset (str): ``'recommended'`` or ``'paper'`` (the same here,
            :class:`~torch_gsr.config.NodeMapConfig`).
        map_decay (float): :math:`\mu \ge 0`. (default: :obj:`1e-5`)
        ridge_blend (bool): blend with ridge regression. (default: :obj:`True`)
        softmax_map (bool): every HR node a convex combination of the LR
            nodes (:class:`NodeMap`'s ``softmax``). (default: :obj:`True`)
    """
    config_class = NodeMapConfig
    monitor = 'hr'
    config: NodeMapConfig
    lr_mean: Tensor  # buffer: the training-mean LR connectome

    @preset_options(NodeMapConfig, dict(paper=PAPER_NODE_MAP, recommended=RECOMMENDED_NODE_MAP))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 map_decay: float = 1e-5, ridge_blend: bool = True,
                 softmax_map: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.config = NodeMapConfig(map_decay=map_decay, ridge_blend=ridge_blend,
                                    softmax_map=softmax_map)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.map_decay = float(map_decay)
        self.node_map = NodeMap(lr_nodes, hr_nodes, softmax=softmax_map)
        self.gate = torch.nn.Parameter(torch.empty(hr_nodes, hr_nodes))
        self.bias = torch.nn.Parameter(torch.empty(hr_nodes, hr_nodes))
        self.register_buffer('lr_mean', torch.empty(lr_nodes, lr_nodes))
        self.ridge_blend = RidgeBlend(lr_nodes, hr_nodes) if ridge_blend else None
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
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor,
                   groups: Optional[Tensor] = None) -> None:
        r"""Sets :math:`\bar{\mathbf{A}}_l` and :math:`\mathbf{B}` to the
        training means of ``lr_adj`` ``[S, N_l, N_l]`` and ``hr_adj``
        ``[S, N_h, N_h]``; with ``ridge_blend``, fits the ridge part on them
        (its folds keep each of ``groups`` whole) and sets its weight to 0."""
        lr_mean, hr_mean = self.training_means(lr_adj, hr_adj)
        self.lr_mean.copy_(lr_mean)
        self.bias.copy_(hr_mean)
        if self.ridge_blend is not None:
            self.ridge_blend.fit(lr_adj, hr_adj, groups=groups)

    @torch.no_grad()
    def after_fit(self, lr_adj: Tensor, hr_adj: Tensor,
                  groups: Optional[Tensor] = None) -> Dict[str, float]:
        r"""With ``ridge_blend``, chooses the blend weight on the validation
        subjects ``lr_adj`` ``[S, N_l, N_l]`` and ``hr_adj`` ``[S, N_h, N_h]``
        from the model's own predictions (made with weight 0, in evaluation
        mode) and returns ``{'ridge_weight': w}``; else ``{}``."""
        if self.ridge_blend is None:
            return {}
        self.ridge_blend.weight.zero_()
        model_hr_adj = torch.cat([out.hr_adj for out in
                                  self.outputs_in_eval(lr_adj, validate=False)])
        weight = self.ridge_blend.calibrate(lr_adj, model_hr_adj.to(lr_adj), hr_adj)
        return {'ridge_weight': weight}

    def derived_state_keys(self) -> List[str]:
        r"""The ridge part's buffers (its training data), which
        :meth:`initialize` refits exactly."""
        if self.ridge_blend is None:
            return []
        return [f'ridge_blend.ridge.{name}' for name, _ in
                self.ridge_blend.ridge.named_buffers()]

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> NodeMapOutput:
        r"""The node map's prediction for checked ``[B, N_l, N_l]`` LR
        connectomes (``lr_eigvecs`` unused)."""
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
                f'ridge_blend={self.ridge_blend is not None}, '
                f'softmax_map={self.node_map.softmax})')
