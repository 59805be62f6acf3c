r"""DEFEND (Singh & Rekik, "Rethinking Graph Super-resolution: Dual Frameworks
for Topological Fidelity", arXiv:2511.08853): a Bi-SR node initialiser gives
every HR edge an initial value, then a graph learner on the dual (line) graph
of the HR graph regresses the edges as its node features, generalising
STP-GSR."""
from dataclasses import dataclass
from typing import ClassVar, Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ...config import RECOMMENDED_FIT
from ...config.models import check_positive_int
from ...utils.matrix import set_diagonal, symmetrize
from ...utils.validation import check_sizes
from ..base import preset_options
from ..conv.line_graph_conv import num_dual_nodes
from ..registry import register_model
from .bi_sr import (
    BI_SR_FIT_SOURCES,
    BI_SR_PAPER_FIT,
    BipartiteInitializer,
    BiSRConfig,
    gram_edges,
    residual_edges,
    scaled,
)
from .gsr_model import GSROutput
from .stp_family import DualGraphModel


@dataclass(frozen=True)
class DEFENDConfig(BiSRConfig):
    r"""Options of :class:`~torch_gsr.nn.DEFEND` (documented in the model):
    those of Bi-SR and the dual graph learner's."""
    dual_channels: Tuple[int, ...] = (16,)
    structured: bool = True
    sources: ClassVar[Dict[str, str]] = {
        'dual_channels': 'released code (one 1 -> 1 layer: dual_node_in_dim, '
                         'dual_node_out_dim, configs/brain.py:49-50; '
                         'models/dual_sr.py:41-56)',
        'structured': 'this package (the same numbers either way)',
        'binarize': 'released code (configs/brain.py:43; applied after the dual '
                    'learner, models/dual_sr.py:23-25)',
    }

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, 'dual_channels', tuple(self.dual_channels))
        for width in self.dual_channels:
            check_positive_int('every dual_channels entry', width)


#: DEFEND as configured for the brain data (basiralab/DEFEND at 5f9aef6,
#: configs/brain.py with use_dual = True).
PAPER_DEFEND = DEFENDConfig(initializer='linear_algebraic', dropout=0.2, min_max_scale=True,
                            residual=False, dual_channels=())
RECOMMENDED_DEFEND = DEFENDConfig()


@register_model
class DEFEND(DualGraphModel):
    r"""DEFEND (Singh & Rekik, arXiv:2511.08853): Bi-SR's node initialiser
    (:class:`~torch_gsr.nn.BipartiteInitializer`) gives every HR edge a
    value, and a graph learner on the HR graph's dual (line) graph refines
    them as node features.

    ``residual=False`` (``'paper'``) is the released design: the initial
    edges are :math:`\mathrm{minmax}(\mathbf{X}\mathbf{X}^\top)`, then
    :class:`LineGraphTransformerConv` layers (widths ``1 ->
    *dual_channels -> 1``, GraphNorm, ReLU), a min-max (``min_max_scale``)
    and, with ``binarize``, a z-score into a sigmoid. ``initializer=
    'linear_algebraic'`` is STP-GSR's released design.
    ``residual=True`` (``'recommended'``) learns on weighted connectomes:
    the initialiser reads LR rows centred on the training mean, the HR
    edges start from the two features of
    :func:`~torch_gsr.nn.models.bi_sr.residual_edges`, and
    :class:`LineGraphMeanConv` layers with a linear read-out correct the
    training-mean HR connectome (:meth:`initialize`).
    ``docs/models/defend.md`` compares both with the released code.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h >= 3``.
        preset (str): ``'recommended'`` or ``'paper'``.
        initializer (str): the Bi-SR initialiser; it, ``heads``,
            ``hidden_channels``, ``dropout``, ``refine_target``,
            ``min_max_scale``, ``binarize`` and ``residual`` as in
            :class:`~torch_gsr.nn.BiSR` (same defaults).
        dual_channels (sequence of int): hidden widths of the dual graph
            learner. (default: :obj:`(16,)`)
        structured (bool): structured or sparse message passing in the
            released dual learner; the same numbers. (default: :obj:`True`)
    """
    config_class = DEFENDConfig
    config: DEFENDConfig
    fit_presets = {'paper': BI_SR_PAPER_FIT, 'recommended': RECOMMENDED_FIT}
    fit_preset_sources: ClassVar[Dict[str, str]] = BI_SR_FIT_SOURCES

    @preset_options(DEFENDConfig, dict(paper=PAPER_DEFEND, recommended=RECOMMENDED_DEFEND))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 initializer: str = 'bi_lc', heads: int = 4, hidden_channels: int = 32,
                 dropout: float = 0., refine_target: bool = False,
                 min_max_scale: bool = False, binarize: bool = False,
                 residual: bool = True, dual_channels: Sequence[int] = (16,),
                 structured: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        if hr_nodes < 3:
            raise ValueError(f"DEFEND needs hr_nodes >= 3 (the dual graph of "
                             f"K_2 has no edges), got {hr_nodes}")
        self.config = DEFENDConfig(initializer, heads, hidden_channels, dropout,
                                   refine_target, min_max_scale, binarize, residual,
                                   tuple(dual_channels), structured)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.residual = residual
        self.initializer = BipartiteInitializer(lr_nodes, hr_nodes, self.config,
                                                normalize=not residual)
        if residual:
            width = self.initializer.out_channels
            self.edge_weight = torch.nn.Parameter(torch.empty(width))
            self.hr_basis = torch.nn.Parameter(torch.empty(hr_nodes, width))
        self.build_dual_learner(dual_channels, dropout, structured)
        if residual:
            self.register_training_means(lr_nodes, hr_nodes)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises the initialiser and the dual graph learner."""
        self.initializer.reset_parameters()
        self.reset_dual_convs()
        if self.residual:
            torch.nn.init.normal_(self.edge_weight)
            torch.nn.init.normal_(self.hr_basis)
        self.reset_dual_output()

    def initial_edges(self, lr_adj: Tensor) -> Tensor:
        r"""The initial HR edge features ``[B, N_h, N_h, K]`` of ``[B, N,
        N]`` LR connectomes (``K = 1`` released, ``2`` residual)."""
        if self.residual:
            x = self.initializer(lr_adj - self.lr_mean, lr_adj)
            return residual_edges(x, self.edge_weight, self.hr_basis)
        x = self.initializer(lr_adj, lr_adj)
        # The release hands ``binarize`` to the dual learner alone.
        return gram_edges(x, self.config.min_max_scale, False).unsqueeze(-1)

    def scale_released(self, x: Tensor) -> Tensor:
        r"""The release's ``min_max_scale`` and ``binarize``."""
        return scaled(x, self.config.min_max_scale, self.config.binarize)

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> GSROutput:
        r"""DEFEND's prediction for checked ``[B, N, N]`` LR connectomes
        (``lr_eigvecs`` unused)."""
        edges = self.initial_edges(lr_adj)
        pred = set_diagonal(symmetrize(self.decode(edges)).abs())
        a_hr = edges[..., 0]
        return GSROutput(hr_adj=pred, padded_hr_adj=pred, a_hr=a_hr, x_hr=a_hr,
                         z0=None, z_lr=a_hr)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'initializer={self.config.initializer!r}, '
                f'dual_nodes={num_dual_nodes(self.hr_nodes)}, residual={self.residual})')
