r"""DirectSR, STP-GSR's baseline (Singh & Rekik, PRIME-MICCAI 2024): two graph
transformer layers on the LR graph and :math:`\mathbf{Z}^\top\mathbf{Z}`,
with no dual graph."""
from dataclasses import dataclass
from typing import ClassVar, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GraphNorm

from ...config import RECOMMENDED_FIT
from ...utils.matrix import set_diagonal, symmetrize
from ...utils.validation import check_sizes
from ..base import preset_options
from ..conv.dense_transformer_conv import DenseTransformerConv
from ..registry import register_model
from .gsr_model import GSROutput
from .stp import STP_PAPER_FIT, STP_PAPER_FIT_SOURCES, gram_initializer
from .stp_family import EdgeL1Model, graph_norm


@dataclass(frozen=True)
class DirectSRConfig:
    r"""Options of :class:`~torch_gsr.nn.DirectSR` (documented in the
    model); ``heads``' upper bound is the HR node count, which the model
    checks."""
    heads: int = 4
    dropout: float = 0.
    residual: bool = True
    # Where each `paper` value comes from (docs/presets.md).
    sources: ClassVar[Dict[str, str]] = {
        'heads': 'released code (configs/model/direct_sr.yaml:5)',
        'dropout': 'released code (configs/model/direct_sr.yaml:7)',
        'residual': 'this package (off: the released design)',
    }

    def __post_init__(self):
        if isinstance(self.heads, bool) or not isinstance(self.heads, int) \
                or self.heads < 1:
            raise ValueError(f"heads must be an int in [1, hr_nodes], got {self.heads!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")


#: DirectSR as released (basiralab/STP-GSR at 239abd9).
PAPER_DIRECT_SR = DirectSRConfig(dropout=0.2, residual=False)
RECOMMENDED_DIRECT_SR = DirectSRConfig()


@register_model
class DirectSR(EdgeL1Model):
    r"""DirectSR, the baseline of STP-GSR (Singh & Rekik, PRIME-MICCAI 2024):
    the HR connectome is the Gram matrix of an LR node embedding.

    ``residual=False`` (``'paper'``) is the released model: two graph
    transformers over all :math:`N^2` LR pairs
    (:class:`DenseTransformerConv`, widths :math:`N \to H N \to N_h`), each
    followed by GraphNorm and ReLU, give :math:`\mathbf{Z} \in
    \mathbb{R}^{N \times N_h}`, and the prediction is
    :math:`\mathrm{minmax}(\mathbf{Z}^\top\mathbf{Z})`; the loss is the L1
    over the whole matrix, diagonal included.

    ``residual=True`` (``'recommended'``) learns on weighted connectomes: the
    transformers read LR rows centred on the training mean (a ReLU between
    them, no GraphNorm), and a linear read-out of :math:`[(\mathbf{T}^\top
    \mathbf{Z} + \mathbf{Z}^\top\mathbf{T})/N, \mathbf{Z}^\top\mathbf{Z}/N]`
    (:math:`\mathbf{T}` learnt) corrects the training-mean HR connectome
    (:meth:`initialize`); L1 over the upper triangle.
    ``docs/models/direct_sr.md`` compares both with the released code.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h >= 2``.
        preset (str): ``'recommended'`` or ``'paper'``.
        heads (int): attention heads of both layers; the second's are
            :math:`\lceil N_h / H \rceil` wide, cut to :math:`N_h`
            features. (default: :obj:`4`)
        dropout (float): attention dropout. (default: :obj:`0.`)
        residual (bool): the recommended design instead of the released
            one. (default: :obj:`True`)
    """
    config_class = DirectSRConfig
    config: DirectSRConfig
    fit_presets = {'paper': STP_PAPER_FIT, 'recommended': RECOMMENDED_FIT}
    #: Where each value of ``fit_presets['paper']`` comes from (docs/presets.md).
    fit_preset_sources: ClassVar[Dict[str, str]] = STP_PAPER_FIT_SOURCES

    @preset_options(DirectSRConfig, dict(paper=PAPER_DIRECT_SR,
                                         recommended=RECOMMENDED_DIRECT_SR))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 heads: int = 4, dropout: float = 0., residual: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        if heads > hr_nodes:
            raise ValueError(f"heads must be an int in [1, hr_nodes = {hr_nodes}], "
                             f"got {heads!r}")
        self.config = DirectSRConfig(heads=heads, dropout=dropout, residual=residual)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.hr_padded = hr_nodes
        self.residual = residual
        self.conv1 = DenseTransformerConv(lr_nodes, lr_nodes, heads=heads,
                                          dropout=dropout, all_pairs=True)
        self.conv2 = DenseTransformerConv(heads * lr_nodes, -(-hr_nodes // heads),
                                          heads=heads, dropout=dropout, all_pairs=True)
        if residual:
            self.cross = torch.nn.Parameter(torch.empty(lr_nodes, hr_nodes))
            self.readout = torch.nn.Linear(2, 1)
            self.register_training_means(lr_nodes, hr_nodes)
        else:
            self.norm1 = GraphNorm(heads * lr_nodes)
            self.norm2 = GraphNorm(hr_nodes)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises both layers and the read-out."""
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()
        if self.residual:
            torch.nn.init.normal_(self.cross, std=self.lr_nodes ** -0.5)
            # The model starts close to the training-mean predictor.
            torch.nn.init.normal_(self.readout.weight, std=1e-3)
            torch.nn.init.zeros_(self.readout.bias)
            return
        self.norm1.reset_parameters()
        self.norm2.reset_parameters()

    def encode(self, lr_adj: Tensor) -> Tensor:
        r"""The LR embedding :math:`\mathbf{Z}` ``[B, N, N_h]`` of ``[B, N, N]``
        LR connectomes."""
        if self.residual:
            h = F.relu(self.conv1(lr_adj - self.lr_mean, lr_adj))
            return self.conv2(h, lr_adj)[..., :self.hr_nodes]
        h = F.relu(graph_norm(self.norm1, self.conv1(lr_adj, lr_adj)))
        z = self.conv2(h, lr_adj)[..., :self.hr_nodes]
        return F.relu(graph_norm(self.norm2, z))

    def decode(self, z: Tensor) -> Tensor:
        r"""The HR matrix ``[B, N_h, N_h]`` of the embedding ``z``
        ``[B, N, N_h]``, before the diagonal is set."""
        if not self.residual:
            return gram_initializer(z)
        cross = torch.matmul(self.cross.t(), z)
        gram = torch.matmul(z.transpose(-1, -2), z)
        features = torch.stack([cross + cross.transpose(-1, -2), gram], -1) / self.lr_nodes
        return self.hr_mean + self.readout(features).squeeze(-1)

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> GSROutput:
        r"""DirectSR's prediction for checked ``[B, N, N]`` LR connectomes
        (``lr_eigvecs`` unused); ``a_hr`` is the matrix before the diagonal
        is set (the released prediction)."""
        z = self.encode(lr_adj)
        matrix = self.decode(z)
        pred = set_diagonal(symmetrize(matrix).abs())
        return GSROutput(hr_adj=pred, padded_hr_adj=pred, a_hr=matrix, x_hr=matrix,
                         z0=None, z_lr=z)

    def l1(self, out: GSROutput, hr_adj: Tensor) -> Tensor:
        r"""The loss's one term, the mean absolute error: released, over
        every entry of ``a_hr`` (diagonal included); residual, over the HR
        edges (upper triangle)."""
        if self.residual:
            return super().l1(out, hr_adj)
        return F.l1_loss(out.a_hr, hr_adj)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'heads={self.config.heads}, residual={self.residual})')
