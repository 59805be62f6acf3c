r"""STP-GSR (Singh & Rekik, "Strongly Topology-Preserving GNNs for Brain
Graph Super-Resolution", PRIME-MICCAI 2024): edge regression as node
regression on the dual (line) graph of the HR graph."""
from dataclasses import dataclass
from typing import ClassVar, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GraphNorm

from ...config import RECOMMENDED_FIT, FitConfig
from ...config.models import check_positive_int
from ...utils.matrix import set_diagonal, symmetrize
from ...utils.validation import check_sizes
from ..base import preset_options
from ..conv.dense_transformer_conv import DenseTransformerConv
from ..conv.line_graph_conv import num_dual_nodes
from ..registry import register_model
from .gsr_model import GSROutput
from .stp_family import DualGraphModel, graph_norm, min_max


@dataclass(frozen=True)
class STPConfig:
    r"""Options of :class:`~torch_gsr.nn.STPGSR` (documented in the model);
    ``init_heads``' upper bound is the HR node count, which the model
    checks."""
    init_heads: int = 4
    dual_channels: Tuple[int, ...] = (16,)
    dropout: float = 0.
    structured: bool = True
    residual: bool = True
    # Where each `paper` value comes from (docs/presets.md).
    sources: ClassVar[Dict[str, str]] = {
        'init_heads': 'released code (configs/model/stp_gsr.yaml:5)',
        'dual_channels': 'released code (one 1 -> 1 layer, configs/model/stp_gsr.yaml:12-13)',
        'dropout': 'released code (configs/model/stp_gsr.yaml:7, 15)',
        'structured': 'this package (on: the same numbers as the released message '
                      'passing, faster; off: message passing)',
        'residual': 'this package (off: the released design)',
    }

    def __post_init__(self):
        object.__setattr__(self, 'dual_channels', tuple(self.dual_channels))
        if isinstance(self.init_heads, bool) or not isinstance(self.init_heads, int) \
                or self.init_heads < 1:
            raise ValueError(f"init_heads must be an int in [1, hr_nodes], got "
                             f"{self.init_heads!r}")
        for width in self.dual_channels:
            check_positive_int('every dual_channels entry', width)
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")


#: STP-GSR's released design (basiralab/STP-GSR at 239abd9; departures: docs/models/stp_gsr.md).
PAPER_STP = STPConfig(dual_channels=(), dropout=0.2, structured=True, residual=False)
RECOMMENDED_STP = STPConfig()
#: STP-GSR's released schedule (basiralab/STP-GSR at 239abd9,
#: configs/experiment.yaml, src/train.py): Adam 1e-3, 60 epochs, one subject
#: at a time with the gradients of 16 summed per step, no validation.
STP_PAPER_FIT = FitConfig(learning_rate=1e-3, batch_size=1, accumulate=16, epochs=60,
                          updates=None, val_fraction=0., patience=None, stop_after=0.,
                          schedule='constant')
#: Where each value of :data:`STP_PAPER_FIT` comes from (docs/presets.md).
STP_PAPER_FIT_SOURCES = {
    'learning_rate': 'STP-GSR released code (configs/experiment.yaml:10)',
    'batch_size': 'STP-GSR released code (a subject at a time, src/train.py:96)',
    'epochs': 'STP-GSR released code (configs/experiment.yaml:7)',
    'weight_decay': "STP-GSR released code (Adam's default)",
    'val_fraction': 'STP-GSR released code (no validation split, main.py:37-57)',
    'schedule': 'STP-GSR released code (a constant rate)',
    'accumulate': 'STP-GSR released code (16 per step, configs/experiment.yaml:8)',
}


def gram_initializer(z: Tensor) -> Tensor:
    r"""STP-GSR's initial HR adjacency :math:`\mathrm{minmax}(\mathbf{Z}^\top
    \mathbf{Z})` ``[B, N_h, N_h]`` of an LR embedding ``z`` ``[B, N, N_h]``."""
    return min_max(torch.matmul(z.transpose(-1, -2), z))


@register_model
class STPGSR(DualGraphModel):
    r"""STP-GSR (Singh & Rekik, PRIME-MICCAI 2024): the HR edges are the nodes
    of the HR graph's dual (line) graph, regressed as node features.

    ``residual=False`` (``'paper'``) is the released design: a graph
    transformer over all :math:`N^2` LR pairs (:class:`DenseTransformerConv`),
    GraphNorm and ReLU give :math:`\mathbf{Z} \in \mathbb{R}^{N \times N_h}`;
    :math:`\mathrm{minmax}(\mathbf{Z}^\top\mathbf{Z})` initialises the HR
    edges; :class:`LineGraphTransformerConv` layers (widths ``1 ->
    *dual_channels -> 1``, GraphNorm, ReLU) and a min-max give the HR edges.

    ``residual=True`` (``'recommended'``) learns on weighted connectomes: the
    transformer reads LR rows centred on the training mean, the HR edges
    start from :math:`[(\mathbf{T}^\top\mathbf{Z} + \mathbf{Z}^\top
    \mathbf{T})/N, \mathbf{Z}^\top\mathbf{Z}/N]` (:math:`\mathbf{T}`
    learnt), and :class:`LineGraphMeanConv` layers with a linear read-out
    correct the training-mean HR connectome (:meth:`initialize`).
    ``docs/models/stp_gsr.md`` compares both with the released code.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h >= 3``.
        preset (str): ``'recommended'`` or ``'paper'``.
        init_heads (int): attention heads of the initialiser, each
            :math:`\lceil N_h / \text{heads} \rceil` wide, cut to
            :math:`N_h` features. (default: :obj:`4`)
        dual_channels (sequence of int): hidden widths of the dual graph
            learner. (default: :obj:`(16,)`)
        dropout (float): attention dropout. (default: :obj:`0.`)
        structured (bool): structured or sparse message passing in the
            released dual learner; the same numbers. (default: :obj:`True`)
        residual (bool): the recommended design instead of the released
            one. (default: :obj:`True`)
    """
    config_class = STPConfig
    config: STPConfig
    fit_presets = {'paper': STP_PAPER_FIT, 'recommended': RECOMMENDED_FIT}
    #: Where each value of ``fit_presets['paper']`` comes from (docs/presets.md).
    fit_preset_sources: ClassVar[Dict[str, str]] = {
        **STP_PAPER_FIT_SOURCES,
        'shuffle': 'STP-GSR released code (torch.randperm every epoch, src/train.py:90-92)',
    }

    @preset_options(STPConfig, dict(paper=PAPER_STP, recommended=RECOMMENDED_STP))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 init_heads: int = 4, dual_channels: Sequence[int] = (16,),
                 dropout: float = 0., structured: bool = True,
                 residual: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        if hr_nodes < 3:
            raise ValueError(f"STPGSR needs hr_nodes >= 3 (the dual graph of "
                             f"K_2 has no edges), got {hr_nodes}")
        if init_heads > hr_nodes:
            raise ValueError(f"init_heads must be an int in [1, hr_nodes = "
                             f"{hr_nodes}], got {init_heads!r}")
        self.config = STPConfig(init_heads=init_heads, dual_channels=tuple(dual_channels),
                                dropout=dropout, structured=structured,
                                residual=residual)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.hr_padded = hr_nodes
        self.residual = residual
        self.init_conv = DenseTransformerConv(
            lr_nodes, -(-hr_nodes // init_heads), heads=init_heads, dropout=dropout,
            all_pairs=True)
        if residual:
            self.cross = torch.nn.Parameter(torch.empty(lr_nodes, hr_nodes))
        else:
            self.init_norm = GraphNorm(hr_nodes)
        self.build_dual_learner(dual_channels, dropout, structured)
        if residual:
            self.register_training_means(lr_nodes, hr_nodes)
            # (The released design keeps its layers' own first draws.)
            self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises the initialiser and the dual graph learner."""
        self.init_conv.reset_parameters()
        self.reset_dual_convs()
        if self.residual:
            torch.nn.init.normal_(self.cross, std=self.lr_nodes ** -0.5)
        else:
            self.init_norm.reset_parameters()
        self.reset_dual_output()

    def encode(self, lr_adj: Tensor) -> Tensor:
        r"""The initialiser's LR embedding :math:`\mathbf{Z}` ``[B, N, N_h]``
        of ``[B, N, N]`` LR connectomes."""
        if self.residual:
            return self.init_conv(lr_adj - self.lr_mean, lr_adj)[..., :self.hr_nodes]
        z = self.init_conv(lr_adj, lr_adj)[..., :self.hr_nodes]
        return F.relu(graph_norm(self.init_norm, z))

    def initial_edges(self, z: Tensor) -> Tensor:
        r"""The initial HR edge features ``[B, N_h, N_h, F]`` of the
        embedding ``z`` ``[B, N, N_h]`` (``F = 1`` released, ``2``
        residual)."""
        if not self.residual:
            return gram_initializer(z).unsqueeze(-1)
        cross = torch.matmul(self.cross.t(), z)
        gram = torch.matmul(z.transpose(-1, -2), z)
        return torch.stack([cross + cross.transpose(-1, -2), gram], -1) / self.lr_nodes

    def scale_released(self, x: Tensor) -> Tensor:
        r"""A min-max over each graph, as released."""
        return min_max(x)

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> GSROutput:
        r"""STP-GSR's prediction for checked ``[B, N, N]`` LR connectomes
        (``lr_eigvecs`` unused)."""
        z = self.encode(lr_adj)
        edges = self.initial_edges(z)
        # As every GSR model finishes its prediction (the absolute value
        # also stops the gradient at exact zeros, as it always has).
        pred = set_diagonal(symmetrize(self.decode(edges)).abs())
        a_hr = edges[..., 0]
        return GSROutput(hr_adj=pred, padded_hr_adj=pred, a_hr=a_hr, x_hr=a_hr,
                         z0=None, z_lr=z)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'dual_nodes={num_dual_nodes(self.hr_nodes)}, '
                f'residual={self.residual})')
