r"""What the STP-GSR family (STP-GSR, DirectSR, Bi-SR, DEFEND) shares: one L1
term as the loss, the training-mean connectomes their residual designs start
from, and the dual graph learner of STP-GSR and DEFEND."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GraphNorm

from ..base import SuperResolutionModel
from ..conv.line_graph_conv import LineGraphTransformerConv, edges_to_matrix, matrix_to_edges
from ..conv.line_graph_mean_conv import LineGraphMeanConv
from .gsr_model import GSRLoss, GSROutput


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


class EdgeL1Model(SuperResolutionModel):
    r"""A model of the STP-GSR family: trained on one L1 term (:meth:`l1`,
    by default over the HR edges), early-stopped on it, and, with
    ``residual``, started from the training-mean LR and HR connectomes
    (:meth:`register_training_means`, filled by :meth:`initialize`)."""
    monitor = 'hr'
    residual: bool
    lr_mean: Tensor
    hr_mean: Tensor

    def register_training_means(self, lr_nodes: int, hr_nodes: int) -> None:
        r"""Registers the ``lr_mean`` ``[N, N]`` and ``hr_mean`` ``[N_h,
        N_h]`` buffers (zero until :meth:`initialize`)."""
        self.register_buffer('lr_mean', torch.zeros(lr_nodes, lr_nodes))
        self.register_buffer('hr_mean', torch.zeros(hr_nodes, hr_nodes))

    @torch.no_grad()
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor,
                   groups: Optional[Tensor] = None) -> None:
        r"""With ``residual``, stores the training-mean LR and HR
        connectomes of ``lr_adj`` ``[S, N, N]`` and ``hr_adj``
        ``[S, N_h, N_h]`` (nothing otherwise)."""
        if self.residual:
            lr_mean, hr_mean = self.training_means(lr_adj, hr_adj)
            self.lr_mean.copy_(lr_mean)
            self.hr_mean.copy_(hr_mean)

    def l1(self, out: GSROutput, hr_adj: Tensor) -> Tensor:
        r"""The loss's one term: the mean absolute error over the HR edges
        (upper triangles) of the prediction and ``hr_adj``."""
        return F.l1_loss(matrix_to_edges(out.hr_adj), matrix_to_edges(hr_adj))

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r""":meth:`l1` as ``hr`` (and ``total``); ``eig`` and ``rec`` are
        zero.

        Args:
            out (GSROutput): this model's output for the batch.
            hr_adj (Tensor): ``[B, N_h, N_h]`` targets.
            hr_eigvecs (Tensor, optional): accepted and unused.
            validate (bool): check that ``hr_adj`` is finite and symmetric.
        """
        term = self.l1(out, self.read_target(hr_adj, out.hr_adj, validate))
        zero = term.new_zeros(())
        return GSRLoss(term, term, zero, zero)


class DualGraphModel(EdgeL1Model):
    r"""An :class:`EdgeL1Model` that refines initial HR edge features on
    the dual (line) graph of the HR graph (STP-GSR, DEFEND).

    Released (``residual=False``): :class:`LineGraphTransformerConv`
    layers of widths ``1 -> *dual_channels -> 1``, each with GraphNorm and
    ReLU, then :meth:`scale_released`. Residual: :class:`LineGraphMeanConv`
    layers ``2 -> *dual_channels`` with ReLU and a linear read-out, added
    to the training-mean HR connectome.
    """
    hr_nodes: int
    dual_convs: torch.nn.ModuleList
    dual_norms: torch.nn.ModuleList
    readout: torch.nn.Linear

    def build_dual_learner(self, dual_channels: Sequence[int], dropout: float,
                           structured: bool) -> None:
        r"""Creates the dual graph learner's layers (``residual`` set)."""
        if self.residual:
            widths = [2, *dual_channels]
            self.dual_convs = torch.nn.ModuleList(
                LineGraphMeanConv(c_in, c_out)
                for c_in, c_out in zip(widths[:-1], widths[1:], strict=True))
            self.readout = torch.nn.Linear(widths[-1], 1)
            return
        widths = [1, *dual_channels, 1]
        self.dual_convs = torch.nn.ModuleList(
            LineGraphTransformerConv(c_in, c_out, dropout=dropout, structured=structured)
            for c_in, c_out in zip(widths[:-1], widths[1:], strict=True))
        self.dual_norms = torch.nn.ModuleList(GraphNorm(c) for c in widths[1:])

    def reset_dual_convs(self):
        r"""Re-initialises the dual graph convolutions."""
        for conv in self.dual_convs:
            conv.reset_parameters()

    def reset_dual_output(self):
        r"""Re-initialises the read-out (residual: near zero, so that the
        model starts close to the training-mean predictor) or the norms."""
        if self.residual:
            torch.nn.init.normal_(self.readout.weight, std=1e-3)
            torch.nn.init.zeros_(self.readout.bias)
            return
        for norm in self.dual_norms:
            norm.reset_parameters()

    def scale_released(self, x: Tensor) -> Tensor:
        r"""The released design's scaling of the dual learner's output
        ``[B, E, 1]``."""
        raise NotImplementedError

    def decode(self, edges: Tensor) -> Tensor:
        r"""The dual graph learner: initial HR edge features ``[B, N_h,
        N_h, K]`` to HR connectomes ``[B, N_h, N_h]``."""
        x = matrix_to_edges(edges)
        if self.residual:
            for conv in self.dual_convs:
                x = F.relu(conv(x, self.hr_nodes))
            out = edges_to_matrix(self.readout(x), self.hr_nodes).squeeze(-1)
            return self.hr_mean + out
        for conv, norm in zip(self.dual_convs, self.dual_norms, strict=True):
            x = F.relu(graph_norm(norm, conv(x, self.hr_nodes)))
        return edges_to_matrix(self.scale_released(x), self.hr_nodes).squeeze(-1)
