r"""STP-GSR (Singh & Rekik, "Strongly Topology-Preserving GNNs for Brain
Graph Super-Resolution", PRIME-MICCAI 2024): edge regression as node
regression on the dual (line) graph of the HR graph."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.nn import GraphNorm

from ..config import STPConfig
from ..utils.matrix import set_diagonal, symmetrize
from ..utils.validation import check_sizes
from .base import SuperResolutionModel, preset_options
from .dense_transformer_conv import DenseTransformerConv
from .gsr_model import GSRLoss, GSROutput
from .line_graph import LineGraphTransformerConv, edges_to_matrix, matrix_to_edges, num_dual_nodes
from .registry import register_model


def graph_norm(norm: GraphNorm, x: Tensor) -> Tensor:
    r""":class:`~torch_geometric.nn.GraphNorm` over the nodes of each graph
    of a dense batch ``x`` ``[B, N, F]``."""
    batch = torch.arange(x.size(0), device=x.device).repeat_interleave(x.size(1))
    return norm(x.flatten(0, 1), batch, batch_size=x.size(0)).view_as(x)


def min_max(x: Tensor) -> Tensor:
    r"""Rescales each graph of ``x`` ``[B, ...]`` to ``[0, 1]``."""
    flat = x.flatten(1)
    low = flat.amin(dim=1).view((-1,) + (1,) * (x.dim() - 1))
    high = flat.amax(dim=1).view_as(low)
    return (x - low) / (high - low + 1e-8)


def gram_initializer(z: Tensor) -> Tensor:
    r"""STP-GSR's initial HR adjacency :math:`\mathrm{minmax}(\mathbf{Z}^\top
    \mathbf{Z})` ``[B, N_h, N_h]`` of an LR embedding ``z`` ``[B, N, N_h]``."""
    return min_max(torch.matmul(z.transpose(-1, -2), z))


@register_model
class STPGSR(SuperResolutionModel):
    r"""STP-GSR (Singh & Rekik, PRIME-MICCAI 2024): the HR edges are the nodes
    of the HR graph's dual (line) graph, regressed as node features.

    1. A graph transformer (:class:`DenseTransformerConv`, ``init_heads``
       heads, LR adjacency rows as features and edge weights as edge
       features), :class:`~torch_geometric.nn.GraphNorm` and ReLU embed the
       LR graph into :math:`\mathbf{Z} \in \mathbb{R}^{N \times N_h}`;
       :math:`\tilde{\mathbf{A}}_h = \mathrm{minmax}(\mathbf{Z}^\top
       \mathbf{Z})` initialises every HR edge.
    2. :class:`LineGraphTransformerConv` layers (widths ``1 ->
       *dual_channels -> 1``, each with GraphNorm and ReLU) pass messages
       between HR edges that share a node; min-max scaled, the output is the
       HR edge weights of a symmetric, unit-diagonal prediction.

    No padding (``hr_padded == hr_nodes``); the output is a
    :class:`~torch_gsr.nn.GSROutput` whose ``a_hr`` (``= x_hr``) is
    :math:`\tilde{\mathbf{A}}_h` and ``z_lr`` is :math:`\mathbf{Z}`. The
    loss is the mean absolute error over HR edges.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h >= 3``.
        preset (str): ``'recommended'`` or ``'paper'``
            (:class:`~torch_gsr.config.STPConfig`).
        init_heads (int): attention heads of the initialiser, each
            :math:`\lceil N_h / \text{heads} \rceil` wide, cut to
            :math:`N_h` features. (default: :obj:`4`)
        dual_channels (sequence of int): hidden widths of the dual graph
            learner. (default: :obj:`()`, one ``1 -> 1`` layer)
        dropout (float): attention dropout of every layer. (default: :obj:`0.`)
        structured (bool): structured (:obj:`True`) or sparse message passing
            on the dual graph; the same numbers. (default: :obj:`True`)
    """
    config_class = STPConfig
    config: STPConfig

    @preset_options(STPConfig)
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 init_heads: int = 4, dual_channels: Sequence[int] = (),
                 dropout: float = 0., structured: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        if hr_nodes < 3:
            raise ValueError(f"STPGSR needs hr_nodes >= 3 (the dual graph of "
                             f"K_2 has no edges), got {hr_nodes}")
        if init_heads > hr_nodes:
            raise ValueError(f"init_heads must be an int in [1, hr_nodes = "
                             f"{hr_nodes}], got {init_heads!r}")
        self.config = STPConfig(init_heads=init_heads, dual_channels=tuple(dual_channels),
                                dropout=dropout, structured=structured)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.hr_padded = hr_nodes
        self.init_conv = DenseTransformerConv(
            lr_nodes, -(-hr_nodes // init_heads), heads=init_heads, dropout=dropout)
        self.init_norm = GraphNorm(hr_nodes)
        widths = [1, *dual_channels, 1]
        self.dual_convs = torch.nn.ModuleList(
            LineGraphTransformerConv(c_in, c_out, dropout=dropout,
                                     structured=structured)
            for c_in, c_out in zip(widths[:-1], widths[1:], strict=True))
        self.dual_norms = torch.nn.ModuleList(GraphNorm(c) for c in widths[1:])

    def reset_parameters(self):
        """Re-initialises the initialiser and the dual graph learner."""
        for module in (self.init_conv, self.init_norm, *self.dual_convs,
                       *self.dual_norms):
            module.reset_parameters()

    def encode(self, lr_adj: Tensor) -> Tensor:
        r"""The initialiser's LR embedding :math:`\mathbf{Z}` ``[B, N, N_h]``
        of ``[B, N, N]`` LR connectomes."""
        z = self.init_conv(lr_adj, lr_adj)[..., :self.hr_nodes]
        return F.relu(graph_norm(self.init_norm, z))

    def decode(self, a_hr: Tensor) -> Tensor:
        r"""The dual graph learner: the initial HR adjacency ``a_hr``
        ``[B, N_h, N_h]`` (its upper triangle: the dual node features) to
        HR connectomes ``[B, N_h, N_h]``, edges in :math:`[0, 1]`."""
        x = matrix_to_edges(a_hr.unsqueeze(-1))
        for conv, norm in zip(self.dual_convs, self.dual_norms, strict=True):
            x = F.relu(graph_norm(norm, conv(x, self.hr_nodes)))
        return set_diagonal(edges_to_matrix(min_max(x), self.hr_nodes).squeeze(-1))

    def forward(self, lr_adj: Union[Tensor, Data, None] = None,
                lr_eigvecs: Optional[Tensor] = None, validate: bool = True, *,
                edge_index: Optional[Tensor] = None,
                edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None) -> GSROutput:
        r"""Predicts HR connectomes from LR ones; the arguments are those of
        :meth:`~torch_gsr.nn.GSRModel.forward` (``lr_eigvecs`` checked and
        unused)."""
        lr_adj, _ = self.read_input(lr_adj, lr_eigvecs, validate, edge_index,
                                    edge_weight, batch)
        z = self.encode(lr_adj)
        a_hr = gram_initializer(z)
        # As every GSR model finishes its prediction (the absolute value
        # also stops the gradient at exact zeros, as it always has).
        pred = set_diagonal(symmetrize(self.decode(a_hr)).abs())
        return GSROutput(hr_adj=pred, padded_hr_adj=pred, a_hr=a_hr, x_hr=a_hr,
                         z0=None, z_lr=z)

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r"""The paper's L1 loss over HR edges (upper triangle) as ``hr``
        (and ``total``); ``eig`` and ``rec`` are zero.

        Args:
            out (GSROutput): this model's output for the batch.
            hr_adj (Tensor): ``[B, N_h, N_h]`` targets.
            hr_eigvecs (Tensor, optional): accepted and unused.
            validate (bool): check that ``hr_adj`` is finite and symmetric.
        """
        hr_adj = self.read_target(hr_adj, out.hr_adj, validate)
        term_hr = F.l1_loss(matrix_to_edges(out.hr_adj), matrix_to_edges(hr_adj))
        zero = term_hr.new_zeros(())
        return GSRLoss(term_hr, term_hr, zero, zero)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'dual_nodes={num_dual_nodes(self.hr_nodes)}, '
                f'structured={self.dual_convs[0].structured})')
