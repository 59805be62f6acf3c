r"""The parts every GSR model is built from: :class:`GSRModel` (encoder, GSR
layer, head), :class:`GCNStack`, and what the models return
(:class:`GSROutput`, :class:`GSRLoss`)."""
from dataclasses import dataclass
from typing import Callable, ClassVar, Dict, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ...config.fit import GSR_PAPER_FIT, RECOMMENDED_FIT
from ...config.models import check_activation, check_non_negative, check_positive_int
from ...utils.matrix import set_diagonal, symmetrize
from ...utils.padding import pad_hr, padded_size, unpad_hr
from ...utils.sparse import strongest_edges
from ...utils.spectra import given_spectrum, no_spectrum, released_spectrum
from ...utils.validation import check_sizes
from ..activation import resolve_activation
from ..base import SuperResolutionModel
from ..conv.gcn_conv import ConnectomeGCNConv
from ..conv.sparse_gcn_conv import SparseConnectomeGCNConv
from ..edge_batch import EdgeBatch, Graph, convolve, normalize
from ..layers.gsr import GSRLayer
from ..layers.unet import GraphUAutoencoder, check_graph_kind
from ..losses import GSRObjective
from .agsr_released import ReleasedUAutoencoder

NODE_FEATURES = ('identity', 'adjacency')
GENERATORS = ('gsr_net', 'released')


@dataclass(frozen=True)
class GSRConfig:
    r"""Options of GSR-Net and its three ablations
    (:class:`~torch_gsr.nn.GSRNet`, :class:`~torch_gsr.nn.GSRLayerOnly`,
    :class:`~torch_gsr.nn.DeepGSR`, :class:`~torch_gsr.nn.GSRAutoencoder`);
    each is documented in :class:`~torch_gsr.nn.GSRModel`. The defaults are
    the ``recommended`` preset's. ``lr_top_k``'s upper bound depends on the
    LR node count, so the model checks it.
    """
    hidden_channels: Optional[int] = None
    pool_ratios: Tuple[float, ...] = (0.9, 0.7)
    lambda_rec: float = 0.1
    sign_invariant_eig: bool = False
    dropout: float = 0.
    node_features: str = 'adjacency'
    normalize_gsr: bool = True
    spectral: bool = False
    act: str = 'elu'
    lr_top_k: Optional[int] = None
    root_weight: bool = True
    mean_residual: bool = True
    generator: str = 'gsr_net'
    # Where each `paper` value comes from (docs/presets.md).
    sources: ClassVar[Dict[str, str]] = {
        'hidden_channels': 'released code (`None`: P, hidden_dim=320, demo.py:79-80)',
        'pool_ratios': 'released code (demo.py:99)',
        'lambda_rec': 'paper, sec. 3, released code (demo.py:73)',
        'sign_invariant_eig': 'released code (plain eigen loss, train.py:35)',
        'dropout': 'released code (its GCNs drop nothing, ops.py:45)',
        'node_features': 'released code (identity, model.py:23)',
        'normalize_gsr': 'released code (layers.py:33)',
        'spectral': 'released code (U0, layers.py:23)',
        'act': ("the variants' GCNs (paper's sigma, read as ReLU); unused by "
                "GSRNet's released generator (none, layers.py:63)"),
        'lr_top_k': 'this package (`None`: dense, as published)',
        'root_weight': "this package (off: the paper's GCN; unused by the released generator)",
        'mean_residual': "this package (off: the paper's prediction)",
        'generator': ('released code (basiralab/GSR-Net at bb54332; GSRNet only, '
                      'the variants ignore it)'),
    }

    def __post_init__(self):
        object.__setattr__(self, 'pool_ratios', tuple(self.pool_ratios))
        check_positive_int('hidden_channels', self.hidden_channels, optional=True)
        check_positive_int('lr_top_k', self.lr_top_k, optional=True)
        check_non_negative(self, 'lambda_rec')
        if not 0 <= self.dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {self.dropout!r}")
        if self.node_features not in NODE_FEATURES:
            raise ValueError(f"node_features must be 'identity' or "
                             f"'adjacency', got {self.node_features!r}")
        check_activation(self.act)
        if self.generator not in GENERATORS:
            raise ValueError(f"generator must be one of {GENERATORS}, got "
                             f"{self.generator!r}")
        if self.generator == 'released' and (self.mean_residual or self.lr_top_k
                                             is not None):
            raise ValueError("generator='released' has no mean_residual and no "
                             "lr_top_k: set them to False and None")


#: GSR-Net as released (basiralab/GSR-Net at bb54332), its defects fixed
#: (``docs/models/gsr_net.md``): its own generator, four U-Net levels.
PAPER_GSR = GSRConfig(lambda_rec=16., pool_ratios=(0.9, 0.7, 0.6, 0.5),
                      node_features='identity', spectral=True, act='relu',
                      root_weight=False, mean_residual=False, generator='released')
RECOMMENDED_GSR = GSRConfig()


@dataclass
class GSROutput:
    r"""What a GSR model returns.

    Attributes:
        hr_adj (Tensor): ``[B, N_h, N_h]`` predicted HR connectomes.
        padded_hr_adj (Tensor): ``[B, P, P]`` the prediction before cropping.
        a_hr (Tensor): ``[B, P, P]`` the GSR layer's adjacency.
        x_hr (Tensor): ``[B, P, P]`` the GSR layer's node features.
        z0 (Tensor, optional): ``[B, N, F]`` first LR embedding.
        z_lr (Tensor): ``[B, N, P]`` LR embedding fed to the GSR layer.
    """
    hr_adj: Tensor
    padded_hr_adj: Tensor
    a_hr: Tensor
    x_hr: Tensor
    z0: Optional[Tensor]
    z_lr: Tensor


class GSRLoss(NamedTuple):
    """``total = hr + eig + rec``; ``rec`` is already weighted by lambda."""
    total: Tensor
    hr: Tensor
    eig: Tensor
    rec: Tensor


class GCNStack(torch.nn.Module):
    r"""GCNs with an activation after each, all on one graph (normalised once).

    Args:
        channels (sequence of int): feature sizes, input first.
        act (str or callable): activation, see
            :func:`~torch_gsr.nn.activation.resolve_activation`.
            (default: :obj:`'relu'`)
        dropout (float): dropout on each GCN's input. (default: :obj:`0.`)
        sparse (bool): the graph comes as an :class:`EdgeBatch` and the GCNs
            are :class:`SparseConnectomeGCNConv`. (default: :obj:`False`)
        root_weight (bool): every GCN adds its nodes' own features through a
            separate weight (:class:`ConnectomeGCNConv`). (default:
            :obj:`False`)

    Shapes:
        - **input:** node features :math:`(B, N, F_0)` or :obj:`None`
          (identity), adjacency :math:`(B, N, N)` or an :class:`EdgeBatch`
        - **output:** node features :math:`(B, N, F_{last})`
    """
    def __init__(self, channels: Sequence[int],
                 act: Union[str, Callable, None] = 'relu', dropout: float = 0.,
                 sparse: bool = False, root_weight: bool = False):
        super().__init__()
        conv = SparseConnectomeGCNConv if sparse else ConnectomeGCNConv
        self.convs = torch.nn.ModuleList(
            conv(c_in, c_out, root_weight=root_weight)
            for c_in, c_out in zip(channels[:-1], channels[1:], strict=True))
        self.act = resolve_activation(act)
        self.dropout = dropout
        self.sparse = sparse

    def reset_parameters(self):
        """Re-initialises every GCN."""
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, x: Optional[Tensor], adj: Graph) -> Tensor:
        r"""Runs the GCNs on ``x`` over ``adj``."""
        check_graph_kind(adj, self.sparse, self.__class__.__name__)
        prop = normalize(adj)
        for conv in self.convs:
            if x is not None:
                x = F.dropout(x, self.dropout, training=self.training)
            x = self.act(convolve(conv, x, prop))
        assert x is not None  # the first GCN turns identity features into a tensor
        return x

    def __repr__(self) -> str:
        sizes = [self.convs[0].in_channels] + [c.out_channels for c in self.convs]
        sparse = ', sparse=True' if self.sparse else ''
        root = ', root_weight=True' if self.convs[0].lin_root is not None else ''
        return f'{self.__class__.__name__}({sizes}{sparse}{root})'


class GSRModel(SuperResolutionModel):
    r"""Base of the GSR-Net family: embeds the LR graph (``encoder_kind``:
    ``'unet'``, ``'gcn'`` or :obj:`None`), super-resolves it with the GSR
    layer (:meth:`init_gsr_layer`), runs a head on the HR graph
    (``head_kind``: ``'gcn'``, ``'gcn_inner'`` or :obj:`None`) and finishes
    the prediction (symmetric, non-negative, unit diagonal, cropped to
    ``hr_nodes``):

    .. math::
        \hat{\mathbf{A}}_h = \big|[\bar{\mathbf{A}}_h +
        \mathbf{W}\mathbf{S}_d\mathbf{U}_0^\top\mathbf{Z}_l +]\,
        \mathrm{head}(\tilde{\mathbf{A}}_h, \tilde{\mathbf{X}}_h)\big|,

    the bracket with ``mean_residual``. Subclasses set the two kinds and a
    public constructor with the options (:class:`~torch_gsr.nn.GSRNet`
    documents them); :class:`~torch_gsr.nn.AGSRNet` swaps the GSR layer
    through :meth:`init_gsr_layer`.

    Args:
        lr_nodes (int): LR node count ``N``.
        hr_nodes (int): HR node count ``N_h`` (``>= N``).
        config (GSRConfig): the options.
    """
    hr_spectral = True  # the eigen loss
    monitor = 'hr'
    encoder_kind: ClassVar[Optional[str]] = None
    head_kind: ClassVar[Optional[str]] = None
    config_class: ClassVar[type] = GSRConfig
    config: GSRConfig
    fit_presets = {'paper': GSR_PAPER_FIT, 'recommended': RECOMMENDED_FIT}
    #: Where the ``paper`` fit values not in docs/presets_table.py come from.
    fit_preset_sources: ClassVar[Dict[str, str]] = {
        'shuffle': 'GSR-Net, AGSR-Net released code (a fixed order, train.py:21, 25)'}
    # Buffers with ``mean_residual``: the training-mean LR and padded HR
    # connectomes.
    lr_mean: Tensor
    hr_mean: Tensor

    def __init__(self, lr_nodes: int, hr_nodes: int, config: GSRConfig):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        resolve_activation(config.act)
        if config.lr_top_k is not None and not config.lr_top_k < lr_nodes:
            raise ValueError(f"lr_top_k must be None or in [1, "
                             f"{lr_nodes - 1}], got {config.lr_top_k}")
        self.lr_nodes, self.hr_nodes, self.config = lr_nodes, hr_nodes, config
        self.hr_padded = padded_size(lr_nodes, hr_nodes)
        self.lr_top_k = config.lr_top_k
        self.node_features = config.node_features
        self.spectral = config.spectral
        self.lambda_rec = config.lambda_rec
        self.sign_invariant_eig = config.sign_invariant_eig
        self.hidden_channels = config.hidden_channels or self.hr_padded
        self.mean_residual = config.mean_residual
        if self.mean_residual:
            # Zero until initialize() sees training data.
            self.register_buffer('lr_mean', torch.zeros(lr_nodes, lr_nodes))
            self.register_buffer('hr_mean', torch.zeros(self.hr_padded, self.hr_padded))
        # The released generator of GSR-Net and AGSR-Net replaces the
        # U-Autoencoder and the head of GSR-Net's shape (not the variants').
        self.released = (config.generator == 'released' and self.encoder_kind == 'unet'
                         and self.head_kind == 'gcn')
        self.lr_spectrum = self.init_lr_spectrum()
        self.encoder = self.init_encoder(config)
        self.gsr = self.init_gsr_layer(config)
        self.head = self.init_head(config)
        self.objective = self.init_objective()

    def init_lr_spectrum(self) -> Callable[[Tensor, Optional[Tensor]], Optional[Tensor]]:
        r"""How :meth:`super_resolve` gets ``U0`` from ``(lr_adj, given)`` (a
        hook): none unless ``spectral``; the given (cached) eigenvectors, else
        computed; the released code's, always computed from the upper
        triangle (the cache holds the lower one's)."""
        if not self.spectral:
            return no_spectrum
        return released_spectrum if self.released else given_spectrum

    def init_objective(self) -> GSRObjective:
        r"""The terms of the loss (a hook: the released code's differ)."""
        return GSRObjective()

    def init_encoder(self, config: GSRConfig) -> Optional[torch.nn.Module]:
        r"""The LR encoder of ``encoder_kind``, or the released GSR-Net and
        AGSR-Net code's U-Autoencoder (a hook for subclasses): it
        maps ``(x [B, N, F] or None, graph)`` to ``(z0, z_lr)`` (``'unet'``)
        or ``z_lr [B, N, P]`` (``'gcn'``)."""
        sparse = self.lr_top_k is not None
        if self.released:
            return ReleasedUAutoencoder(self.lr_nodes, self.hr_padded, self.hr_padded,
                                        config.pool_ratios)
        if self.encoder_kind == 'unet':
            return GraphUAutoencoder(self.lr_nodes, self.hr_padded, config.pool_ratios,
                                     act=config.act, dropout=config.dropout, sparse=sparse,
                                     root_weight=config.root_weight)
        if self.encoder_kind == 'gcn':
            return GCNStack([self.lr_nodes, self.hidden_channels, self.hr_padded],
                            act=config.act, dropout=config.dropout, sparse=sparse,
                            root_weight=config.root_weight)
        if self.encoder_kind is not None:
            raise ValueError(f"unknown encoder {self.encoder_kind!r}")
        return None

    def init_head(self, config: GSRConfig) -> Optional[torch.nn.Module]:
        r"""The HR head of ``head_kind`` (a hook for subclasses): it maps
        ``(x_hr [B, P, P], a_hr [B, P, P])`` to ``[B, P, P]``."""
        if self.head_kind in ('gcn', 'gcn_inner'):
            return GCNStack([self.hr_padded, self.hidden_channels, self.hr_padded],
                            act=config.act, dropout=config.dropout,
                            root_weight=config.root_weight)
        if self.head_kind is not None:
            raise ValueError(f"unknown head {self.head_kind!r}")
        return None

    def init_gsr_layer(self, config: GSRConfig) -> GSRLayer:
        r"""The GSR layer (a hook for subclasses). Its adjacency is
        degree-normalised for the head's GCNs; without a head it is the
        prediction, on the connectome's scale."""
        return GSRLayer(self.lr_nodes, self.hr_nodes,
                        normalize=config.normalize_gsr and self.head_kind is not None)

    def reset_parameters(self):
        """Re-initialises the encoder, the GSR layer and the head."""
        for module in (self.encoder, self.gsr, self.head):
            if module is not None:
                module.reset_parameters()

    @torch.no_grad()
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor,
                   groups: Optional[Tensor] = None) -> None:
        r"""With ``mean_residual``, stores the training-mean LR and HR
        connectomes of ``lr_adj`` ``[S, N, N]`` and ``hr_adj``
        ``[S, N_h, N_h]`` (nothing otherwise)."""
        if not self.mean_residual:
            return
        lr_mean, hr_mean = self.training_means(lr_adj, hr_adj)
        self.lr_mean.copy_(lr_mean)
        self.hr_mean.copy_(pad_hr(hr_mean, self.hr_padded))

    def encoder_graph(self, lr_adj: Tensor) -> Graph:
        r"""The LR graphs the encoder runs on: ``lr_adj`` ``[B, N, N]``
        itself, or its ``lr_top_k`` strongest edges as an
        :class:`EdgeBatch`."""
        if self.lr_top_k is None:
            return lr_adj
        return EdgeBatch.from_dense(strongest_edges(lr_adj, top_k=self.lr_top_k))

    def encode(self, lr_adj: Tensor) -> Tuple[Optional[Tensor], Tensor]:
        """LR embeddings ``(z0 or None, z_lr [B, N, P])`` of ``lr_adj [B, N, N]``."""
        rows = lr_adj - self.lr_mean.to(lr_adj) if self.mean_residual else lr_adj
        if self.encoder is None:
            # Each node's LR connectivity row, repeated K times.
            return None, rows.repeat(1, 1, self.gsr.factor)
        x = rows if self.node_features == 'adjacency' else None
        z = self.encoder(x, self.encoder_graph(lr_adj))
        # The U-Autoencoder returns (z0, z_lr); the GCN stack z_lr alone.
        return z if self.encoder_kind == 'unet' else (None, z)

    def decode(self, a_hr: Tensor, x_hr: Tensor) -> Tensor:
        """The head on the GSR layer's output: the ``[B, P, P]`` prediction."""
        if self.head is None:
            return a_hr
        z_hr = self.head(x_hr, a_hr)
        if self.head_kind == 'gcn_inner':
            z_hr = torch.matmul(z_hr, z_hr.transpose(-1, -2))
        return z_hr

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> GSROutput:
        r"""GSR-Net's prediction for checked ``[B, N, N]`` LR connectomes;
        ``lr_eigvecs`` (``[B, N, N]``, :func:`torch_gsr.utils.lr_eigvecs`)
        are computed here when ``spectral`` needs them and none are given."""
        lr_eigvecs = self.lr_spectrum(lr_adj, lr_eigvecs)
        z0, z_lr = self.encode(lr_adj)
        product = self.gsr.product(z_lr, lr_eigvecs)
        a_hr, x_hr = self.gsr.graph(product)
        if self.mean_residual:
            # The signed GSR product skips the head.
            pred = self.hr_mean.to(product) + product
            if self.head is not None:
                pred = pred + self.decode(a_hr, x_hr)
        else:
            pred = self.decode(a_hr, x_hr)
        pred = set_diagonal(symmetrize(pred).abs())
        return GSROutput(hr_adj=unpad_hr(pred, self.hr_nodes),
                         padded_hr_adj=pred, a_hr=a_hr, x_hr=x_hr, z0=z0,
                         z_lr=z_lr)

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r"""The GSR-Net loss :math:`\mathcal{L}_{hr} + \mathcal{L}_{eig} +
        \lambda \mathcal{L}_{rec}` (the last only with a U-Autoencoder).

        Args:
            out (GSROutput): this model's output for the batch.
            hr_adj (Tensor): ``[B, N_h, N_h]`` target HR connectomes.
            hr_eigvecs (Tensor, optional): ``[B, P, P]`` eigenvectors of the
                padded targets (:func:`torch_gsr.utils.hr_eigvecs`); computed
                here when not given.
            validate (bool): check that ``hr_adj`` is finite and symmetric.
                (default: :obj:`True`)
        """
        terms = self.objective(self, out, hr_adj, hr_eigvecs, validate)
        return GSRLoss(terms.hr + terms.eig + terms.rec, terms.hr, terms.eig, terms.rec)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'hr_padded={self.hr_padded})')
