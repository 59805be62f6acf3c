r"""Bi-SR (Singh & Rekik, "Rethinking Graph Super-resolution: Dual Frameworks
for Topological Fidelity", arXiv:2511.08853): the HR nodes are initialised
from the LR nodes through a bipartite LR -> HR map, and each HR edge is the
inner product of its two nodes' embeddings."""
from dataclasses import dataclass
from typing import ClassVar, Dict, Optional, cast

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GraphNorm

from ...config import RECOMMENDED_FIT, FitConfig
from ...config.models import check_positive_int
from ...utils.matrix import set_diagonal, symmetrize
from ...utils.validation import check_sizes
from ..base import preset_options
from ..conv.bipartite_transformer_conv import BipartiteTransformerConv
from ..conv.dense_transformer_conv import DenseTransformerConv
from ..registry import register_model
from .gsr_model import GSROutput
from .stp_family import EdgeL1Model, graph_norm, min_max

#: The released node initialisers (``sr_method`` in configs/brain.py).
INITIALIZERS = ('linear_algebraic', 'bi_lc', 'bi_mp')


@dataclass(frozen=True)
class BiSRConfig:
    r"""Options of :class:`~torch_gsr.nn.BiSR` (documented in the model)."""
    initializer: str = 'bi_lc'
    heads: int = 4
    hidden_channels: int = 32
    dropout: float = 0.
    refine_target: bool = False
    min_max_scale: bool = False
    binarize: bool = False
    residual: bool = True
    # Where each `paper` value comes from (docs/presets.md): DEFEND's
    # release, basiralab/DEFEND at 5f9aef6.
    sources: ClassVar[Dict[str, str]] = {
        'initializer': "released code (sr_method, configs/brain.py:23)",
        'heads': 'released code (configs/brain.py:34)',
        'hidden_channels': 'released code (configs/brain.py:33)',
        'dropout': 'released code (configs/brain.py:35)',
        'refine_target': 'released code (configs/brain.py:27)',
        'min_max_scale': 'released code (configs/brain.py:40)',
        'binarize': 'released code (configs/brain.py:43)',
        'residual': 'this package (off: the released design)',
    }

    def __post_init__(self):
        if self.initializer not in INITIALIZERS:
            raise ValueError(f"initializer must be one of {INITIALIZERS}, got "
                             f"{self.initializer!r}")
        check_positive_int('heads', self.heads)
        check_positive_int('hidden_channels', self.hidden_channels)
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.refine_target and self.initializer == 'linear_algebraic':
            raise ValueError("refine_target needs initializer 'bi_lc' or 'bi_mp' "
                             "(the release refines only those)")
        if self.residual and (self.min_max_scale or self.binarize):
            raise ValueError("min_max_scale and binarize belong to the released "
                             "design: pass residual=False to use them")


#: Bi-SR as configured for the brain data (basiralab/DEFEND at 5f9aef6,
#: configs/brain.py).
PAPER_BI_SR = BiSRConfig(initializer='linear_algebraic', dropout=0.2,
                         min_max_scale=True, residual=False)
RECOMMENDED_BI_SR = BiSRConfig()
#: DEFEND's released brain schedule (configs/brain.py, runs/brain/main.py):
#: Adam 1e-3, one subject at a time with the gradients of 16 summed per
#: step, at most 300 epochs; the last 20% of the training subjects validate,
#: early stopping with patience 7 after 30 unwatched epochs.
BI_SR_PAPER_FIT = FitConfig(learning_rate=1e-3, batch_size=1, accumulate=16, epochs=300,
                            updates=None, val_fraction=0.2, split='blocks', patience=7,
                            stop_after=0., warm_up=30, schedule='constant')
#: Where each value of ``BI_SR_PAPER_FIT`` comes from (docs/presets.md).
BI_SR_FIT_SOURCES: Dict[str, str] = {
    'learning_rate': 'DEFEND released code (configs/brain.py:10)',
    'batch_size': 'DEFEND released code (a subject at a time, runs/brain/main.py:123-131)',
    'accumulate': 'DEFEND released code (16 per step, configs/brain.py:11, '
                  'runs/brain/main.py:138)',
    'epochs': 'DEFEND released code (at most 300, configs/brain.py:9)',
    'weight_decay': "DEFEND released code (Adam's default, runs/brain/main.py:78)",
    'val_fraction': 'DEFEND released code (last 20% of the fold, runs/brain/main.py:82-83)',
    'split': 'DEFEND released code (the last subjects in order, runs/brain/main.py:83)',
    'patience': 'DEFEND released code (configs/brain.py:15)',
    'stop_after': 'DEFEND released code (only the warm-up waits)',
    'warm_up': 'DEFEND released code (configs/brain.py:16, runs/brain/main.py:192)',
    'schedule': 'DEFEND released code (a constant rate, runs/brain/main.py:78)',
    'clip_grad_norm': 'DEFEND released code (no clipping)',
    'distributed': 'DEFEND released code (one process)',
}


def gram_edges(x: Tensor, min_max_scale: bool, binarize: bool) -> Tensor:
    r"""The released edges of HR node embeddings ``x`` ``[B, N_h, F]``:
    :math:`\mathbf{X}\mathbf{X}^\top`, optionally min-max scaled per graph,
    then optionally z-scored and passed through a sigmoid."""
    return scaled(torch.matmul(x, x.transpose(-1, -2)), min_max_scale, binarize)


def scaled(x: Tensor, min_max_scale: bool, binarize: bool) -> Tensor:
    r"""The release's output scalings of each graph of ``x`` ``[B, ...]``."""
    if min_max_scale:
        x = min_max(x)
    if binarize:
        flat = x.flatten(1)
        shape = (-1,) + (1,) * (x.dim() - 1)
        x = torch.sigmoid((x - flat.mean(1).view(shape)) / flat.std(1).view(shape))
    return x


def residual_edges(x: Tensor, weight: Tensor, basis: Tensor) -> Tensor:
    r"""``[B, N_h, N_h, 2]`` edge features of HR node embeddings ``x``
    ``[B, N_h, F]``: a term linear in them, :math:`(\mathbf{P}\mathbf{X}^\top
    + \mathbf{X}\mathbf{P}^\top) / F` (``basis`` :math:`\mathbf{P}`
    ``[N_h, F]``), and a weighted inner product, :math:`\mathbf{X}\,
    \mathrm{diag}(\mathbf{w}) \mathbf{X}^\top / F` (``weight`` ``[F]``)."""
    xt = x.transpose(-1, -2)
    cross = torch.matmul(basis, xt)
    return torch.stack([cross + cross.transpose(-1, -2),
                        torch.matmul(x * weight, xt)], dim=-1) / x.size(-1)


class BipartiteInitializer(torch.nn.Module):
    r"""Bi-SR's HR node initialiser: a graph transformer over all LR pairs
    (:class:`DenseTransformerConv`) embeds the LR nodes, and one bipartite
    map gives ``N_h`` HR node embeddings :math:`\mathbf{X}`:
    ``'linear_algebraic'``, :math:`\mathbf{Z}^\top` (the embedding is
    ``N_h`` wide); ``'bi_lc'``, :math:`\mathbf{W}\mathbf{Z} + \mathbf{b}`
    (a learnt ``N_h x N`` combination); ``'bi_mp'``, attention from fixed
    random HR node embeddings to the LR nodes
    (:class:`BipartiteTransformerConv`). ``refine_target`` adds a graph
    transformer over all HR pairs. ``normalize`` puts GraphNorm and ReLU
    after each step, as released.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h``.
        config (BiSRConfig): the initialiser, heads, widths and dropout.
        normalize (bool): GraphNorm and ReLU after each step.

    Shapes:
        - **input:** node features :math:`(B, N, N)`, LR adjacency :math:`(B, N, N)`
        - **output:** HR node embeddings :math:`(B, N_h, F)`
    """
    def __init__(self, lr_nodes: int, hr_nodes: int, config: BiSRConfig,
                 normalize: bool = True):
        super().__init__()
        self.method, self.normalize = config.initializer, normalize
        heads, hidden = config.heads, config.hidden_channels
        algebraic = self.method == 'linear_algebraic'
        width = -(-hr_nodes // heads) if algebraic else hidden
        self.channels = hr_nodes if algebraic else heads * hidden
        #: The width ``F`` of the HR node embeddings.
        self.out_channels = lr_nodes if algebraic else self.channels
        self.lr_conv = DenseTransformerConv(lr_nodes, width, heads=heads,
                                            dropout=config.dropout, all_pairs=True)
        norms = ['lr_norm']
        if self.method == 'bi_lc':
            self.bipartite = torch.nn.Linear(lr_nodes, hr_nodes)
        elif self.method == 'bi_mp':
            self.bipartite = BipartiteTransformerConv(self.channels, hidden, heads=heads,
                                                      dropout=config.dropout)
            self.register_buffer('hr_embeddings', torch.empty(hr_nodes, self.channels))
            norms.append('bipartite_norm')
        self.refine: Optional[BipartiteTransformerConv] = None
        if config.refine_target:
            # All HR pairs, self-loops included, no edge features.
            self.refine = BipartiteTransformerConv(self.channels, hidden, heads=heads,
                                                   dropout=config.dropout)
            norms.append('refine_norm')
        for name in norms:
            setattr(self, name, GraphNorm(self.channels) if normalize else None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises every layer and draws new fixed HR embeddings."""
        for module in self.children():
            if hasattr(module, 'reset_parameters'):
                module.reset_parameters()
        if self.method == 'bi_mp':
            self.hr_embeddings.normal_()

    def norm(self, name: str, x: Tensor) -> Tensor:
        r"""GraphNorm ``name`` and ReLU on ``x`` ``[B, N, F]`` (with
        ``normalize``; else ``x``)."""
        norm = getattr(self, name)
        return x if norm is None else F.relu(graph_norm(norm, x))

    def forward(self, x: Tensor, lr_adj: Tensor) -> Tensor:
        """HR node embeddings of LR node features and adjacency."""
        z = self.norm('lr_norm', self.lr_conv(x, lr_adj)[..., :self.channels])
        if self.method == 'linear_algebraic':
            return z.transpose(-1, -2)
        if self.method == 'bi_lc':
            xt = torch.matmul(self.bipartite.weight, z) + self.bipartite.bias.unsqueeze(-1)
        else:
            xt = self.bipartite(z, self.hr_embeddings)
            if self.normalize:
                # The released GraphNorm runs over the source nodes too,
                # whose output is their root term alone.
                root = cast(torch.nn.Module, self.bipartite.lin_skip)
                both = torch.cat([root(z), xt], dim=1)
                xt = self.norm('bipartite_norm', both)[:, z.size(1):]
        if self.refine is not None:
            xt = self.norm('refine_norm', self.refine(xt, xt))
        return xt


@register_model
class BiSR(EdgeL1Model):
    r"""Bi-SR (Singh & Rekik, arXiv:2511.08853): bipartite LR -> HR node
    initialisation (:class:`BipartiteInitializer`), then each HR edge is
    the inner product of its nodes' embeddings :math:`\mathbf{X}`.

    ``residual=False`` (``'paper'``) is the released design:
    :math:`\mathrm{minmax}(\mathbf{X}\mathbf{X}^\top)` (``min_max_scale``;
    ``binarize`` then z-scores it into a sigmoid), trained with L1 over the
    whole matrix against a zero diagonal, as the release's data have.
    ``residual=True`` (``'recommended'``) learns on weighted connectomes:
    the LR rows are centred on the training mean, no GraphNorm or ReLU, and
    the prediction is the training-mean HR connectome (:meth:`initialize`)
    plus the two :func:`residual_edges` terms, with the L1 loss over the
    upper triangle.
    ``docs/models/bi_sr.md`` compares both with the released code.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h``.
        preset (str): ``'recommended'`` or ``'paper'``.
        initializer (str): ``'linear_algebraic'``, ``'bi_lc'`` or
            ``'bi_mp'``. (default: :obj:`'bi_lc'`)
        heads (int): attention heads. (default: :obj:`4`)
        hidden_channels (int): width per head of ``'bi_lc'`` and
            ``'bi_mp'``. (default: :obj:`32`)
        dropout (float): attention dropout. (default: :obj:`0.`)
        refine_target (bool): a transformer over all HR pairs after the
            bipartite map. (default: :obj:`False`)
        min_max_scale (bool): released design only. (default: :obj:`False`)
        binarize (bool): released design only. (default: :obj:`False`)
        residual (bool): the recommended design instead of the released
            one. (default: :obj:`True`)
    """
    config_class = BiSRConfig
    config: BiSRConfig
    fit_presets = {'paper': BI_SR_PAPER_FIT, 'recommended': RECOMMENDED_FIT}
    fit_preset_sources: ClassVar[Dict[str, str]] = BI_SR_FIT_SOURCES

    @preset_options(BiSRConfig, dict(paper=PAPER_BI_SR, recommended=RECOMMENDED_BI_SR))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 initializer: str = 'bi_lc', heads: int = 4, hidden_channels: int = 32,
                 dropout: float = 0., refine_target: bool = False,
                 min_max_scale: bool = False, binarize: bool = False,
                 residual: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.config = BiSRConfig(initializer, heads, hidden_channels, dropout, refine_target,
                                 min_max_scale, binarize, residual)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.residual = residual
        self.initializer = BipartiteInitializer(lr_nodes, hr_nodes, self.config,
                                                normalize=not residual)
        if residual:
            width = self.initializer.out_channels
            self.edge_weight = torch.nn.Parameter(torch.empty(width))
            self.hr_basis = torch.nn.Parameter(torch.empty(hr_nodes, width))
            self.register_training_means(lr_nodes, hr_nodes)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises the initialiser (and the edge weights)."""
        self.initializer.reset_parameters()
        if self.residual:
            # The model starts close to the training-mean predictor.
            torch.nn.init.normal_(self.edge_weight, std=1e-2)
            torch.nn.init.normal_(self.hr_basis, std=1e-2)

    def embed(self, lr_adj: Tensor) -> Tensor:
        r"""The HR node embeddings ``[B, N_h, F]`` of ``[B, N, N]`` LR
        connectomes."""
        if self.residual:
            return self.initializer(lr_adj - self.lr_mean, lr_adj)
        return self.initializer(lr_adj, lr_adj)

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> GSROutput:
        r"""Bi-SR's prediction for checked ``[B, N, N]`` LR connectomes
        (``lr_eigvecs`` unused); ``a_hr`` holds the matrix before its
        diagonal is set."""
        x = self.embed(lr_adj)
        if self.residual:
            raw = self.hr_mean + residual_edges(x, self.edge_weight, self.hr_basis).sum(-1)
        else:
            raw = gram_edges(x, self.config.min_max_scale, self.config.binarize)
        pred = set_diagonal(symmetrize(raw).abs())
        return GSROutput(hr_adj=pred, padded_hr_adj=pred, a_hr=raw, x_hr=raw,
                         z0=None, z_lr=x)

    def l1(self, out: GSROutput, hr_adj: Tensor) -> Tensor:
        r"""The loss's one term, the mean absolute error: released, over
        the whole matrix before its diagonal is set, against ``hr_adj``
        with a zero diagonal; recommended, over the HR edges (upper
        triangle)."""
        if self.residual:
            return super().l1(out, hr_adj)
        return F.l1_loss(out.a_hr, set_diagonal(hr_adj, 0.))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'initializer={self.config.initializer!r}, residual={self.residual})')
