"""GSR-Net and the three variants of the paper's section 3, from shared parts.

Every model is ``Model(lr_nodes, hr_nodes, preset='recommended', **options)``
(options: :class:`GSRModel`; ``preset='paper'`` is GSR-Net as published) and
differs only in
how it embeds the LR graph (``encoder``) and what it stacks on the GSR
layer's output (``head``):

==================  =========================  ============================
model               encoder                    head
==================  =========================  ============================
``GSRNet``          Graph U-Autoencoder        two GCNs on the HR graph
``GSRLayerOnly``    none (LR adjacency rows)   none (the GSR adjacency)
``DeepGSR``         two GCNs                   two GCNs + inner product
``GSRAutoencoder``  Graph U-Autoencoder        none (the GSR adjacency)
==================  =========================  ============================
"""
from dataclasses import dataclass
from typing import Callable, Dict, NamedTuple, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ..presets import DEFAULT_PRESET, model_options
from ..utils.padding import padded_size, unpad_hr
from ..utils.spectra import hr_eigvecs as compute_hr_eigvecs
from ..utils.spectra import lr_eigvecs as compute_lr_eigvecs
from ..utils.validation import check_adjacency, check_eigvecs, check_sizes
from .conv import ConnectomeGCNConv, gcn_norm_dense
from ..utils.matrix import set_diagonal, symmetrize
from .gsr import GSRLayer
from .losses import eig_loss, hr_loss, rec_loss
from .unet import GraphUAutoencoder


ACTIVATIONS: Dict[str, Callable[[Tensor], Tensor]] = {
    'relu': F.relu, 'leaky_relu': F.leaky_relu, 'elu': F.elu,
    'tanh': torch.tanh, 'identity': lambda x: x,
}


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
        act (callable): activation. (default: ReLU)
        dropout (float): dropout on each GCN's input. (default: :obj:`0.`)
    """
    def __init__(self, channels: Sequence[int], act: Callable = F.relu,
                 dropout: float = 0.):
        super().__init__()
        self.convs = torch.nn.ModuleList(
            ConnectomeGCNConv(c_in, c_out)
            for c_in, c_out in zip(channels[:-1], channels[1:]))
        self.act = act
        self.dropout = dropout

    def reset_parameters(self):
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, x: Optional[Tensor], adj: Tensor) -> Tensor:
        r"""``x``: ``[B, N, F_0]`` or ``None`` (identity); ``adj``: ``[B, N, N]``."""
        prop = gcn_norm_dense(adj)
        for conv in self.convs:
            if x is not None:
                x = F.dropout(x, self.dropout, training=self.training)
            x = self.act(conv(x, prop, normalized=True))
        return x

    def __repr__(self) -> str:
        sizes = [self.convs[0].in_channels] + [c.out_channels for c in self.convs]
        return f'{self.__class__.__name__}({sizes})'


class GSRModel(torch.nn.Module):
    r"""Base of every GSR model: checks inputs, runs ``encoder -> GSR layer ->
    head``, finishes the prediction (symmetric, non-negative, unit diagonal,
    cropped to ``hr_nodes``) and computes the loss.

    Every option defaults to the value of the named ``preset``
    (:mod:`torch_gsr.presets`: ``"recommended"``, or ``"paper"`` for GSR-Net
    exactly as published); options given explicitly override it. Options a
    model has no part for (``pool_ratios`` and ``lambda_rec`` without a
    U-Autoencoder, ``node_features`` for :class:`GSRLayerOnly`, which always
    reads the LR adjacency rows) are recorded in the config but change
    nothing.

    Args:
        lr_nodes (int): LR node count ``N``.
        hr_nodes (int): HR node count ``N_h`` (``>= N``).
        encoder (str, optional): ``'unet'``, ``'gcn'`` or ``None``.
        head (str, optional): ``'gcn'``, ``'gcn_inner'`` or ``None``.
        preset (str): where the defaults come from.
        hidden_channels (int, optional): hidden size of the HR GCNs (and of
            DeepGSR's LR GCNs); ``None`` is ``P = K N`` (the paper). The
            U-Autoencoder's width is always ``P``: the GSR layer needs
            :math:`\mathbf{Z}_l \in \mathbb{R}^{N \times P}`.
        pool_ratios (sequence of float): U-Autoencoder pool ratios, one per
            encoding module.
        lambda_rec (float): weight of the self-reconstruction loss. Its
            trivial minimiser :math:`\mathbf{Z}_0 = \mathbf{Z}_l = 0` is
            reachable through dead ReLUs; the paper's 16 pulls the
            embedding there.
        sign_invariant_eig (bool): sign-invariant eigen loss.
        dropout (float): dropout before each GCN.
        node_features (str): LR node features, ``'identity'`` (the paper's
            :math:`\mathbf{I}_N`) or ``'adjacency'`` (each node's row of the
            raw LR adjacency, which keeps the connection strengths the GCN's
            degree normalisation removes).
        normalize_gsr (bool): degree-normalise the GSR layer's adjacency
            (:class:`GSRLayer`'s ``normalize``) before the HR GCNs; models
            without HR GCNs never normalise it, as it is their prediction.
        spectral (bool): express the LR embedding in the eigenbasis
            :math:`\mathbf{U}_0` of the LR graph (the paper). Eigenvectors
            are defined per subject only up to sign and rotation within
            near-degenerate eigenvalues, so the same row of
            :math:`\mathbf{U}_0^\top \mathbf{Z}_l` means different things
            for different subjects; ``False`` keeps the node basis (the
            atlas's regions, the same for every subject) and needs no
            eigendecomposition.
        act (str): activation after every GCN, a name from
            :data:`ACTIVATIONS`.
    """
    def __init__(self, lr_nodes: int, hr_nodes: int, encoder: Optional[str],
                 head: Optional[str], preset: str = DEFAULT_PRESET, **options):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.config = model_options(preset, **options)
        self.lr_nodes = lr_nodes
        self.hr_nodes = hr_nodes
        self.hr_padded = padded_size(lr_nodes, hr_nodes)
        self.encoder_kind, self.head_kind = encoder, head
        self._build(**self.config)

    def _build(self, hidden_channels: Optional[int], pool_ratios: Sequence[float],
               lambda_rec: float, sign_invariant_eig: bool, dropout: float,
               node_features: str, normalize_gsr: bool, spectral: bool,
               act: str):
        if node_features not in ('identity', 'adjacency'):
            raise ValueError(f"node_features must be 'identity' or "
                             f"'adjacency', got {node_features!r}")
        if act not in ACTIVATIONS:
            raise ValueError(f"act must be one of {sorted(ACTIVATIONS)}, "
                             f"got {act!r}")
        self.config['pool_ratios'] = tuple(pool_ratios)
        self.node_features = node_features
        self.spectral = spectral
        self.lambda_rec = lambda_rec
        self.sign_invariant_eig = sign_invariant_eig
        self.hidden_channels = hidden_channels or self.hr_padded

        hidden, padded = self.hidden_channels, self.hr_padded
        self.encoder = None
        if self.encoder_kind == 'unet':
            self.encoder = GraphUAutoencoder(self.lr_nodes, padded, pool_ratios,
                                             act=ACTIVATIONS[act],
                                             dropout=dropout)
        elif self.encoder_kind == 'gcn':
            self.encoder = GCNStack([self.lr_nodes, hidden, padded],
                                    act=ACTIVATIONS[act], dropout=dropout)
        elif self.encoder_kind is not None:
            raise ValueError(f"unknown encoder {self.encoder_kind!r}")
        # The degree normalisation conditions the HR GCNs' input; a model
        # without them predicts the GSR layer's adjacency itself, on the
        # connectome's scale.
        self.gsr = GSRLayer(self.lr_nodes, self.hr_nodes,
                            normalize=normalize_gsr and self.head_kind is not None)
        self.head = None
        if self.head_kind in ('gcn', 'gcn_inner'):
            self.head = GCNStack([padded, hidden, padded],
                                 act=ACTIVATIONS[act], dropout=dropout)
        elif self.head_kind is not None:
            raise ValueError(f"unknown head {self.head_kind!r}")

    def reset_parameters(self):
        for module in (self.encoder, self.gsr, self.head):
            if module is not None:
                module.reset_parameters()

    def get_config(self) -> dict:
        """Everything needed to rebuild this model with :func:`build_model`."""
        return dict(name=self.__class__.__name__, lr_nodes=self.lr_nodes,
                    hr_nodes=self.hr_nodes, **self.config)

    def encode(self, lr_adj: Tensor):
        x = lr_adj if self.node_features == 'adjacency' else None
        if self.encoder_kind == 'unet':
            return self.encoder(lr_adj, x)
        if self.encoder_kind == 'gcn':
            return None, self.encoder(x, lr_adj)
        # No encoder: each node's LR connectivity row, repeated K times, is
        # its P-dimensional input to the GSR layer.
        return None, lr_adj.repeat(1, 1, self.gsr.factor)

    def decode(self, a_hr: Tensor, x_hr: Tensor) -> Tensor:
        if self.head is None:
            return a_hr
        z_hr = self.head(x_hr, a_hr)
        if self.head_kind == 'gcn_inner':
            z_hr = torch.matmul(z_hr, z_hr.transpose(-1, -2))
        return z_hr

    def forward(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor] = None,
                validate: bool = True) -> GSROutput:
        r"""
        Args:
            lr_adj (Tensor): ``[B, N, N]`` or ``[N, N]`` LR connectomes.
            lr_eigvecs (Tensor, optional): ``[B, N, N]`` eigenvectors of the
                normalised LR adjacency (:func:`torch_gsr.utils.lr_eigvecs`);
                pass them precomputed to keep eigendecompositions out of
                training (:class:`torch_gsr.transforms.AddSpectra`). Unused
                (but still checked) when ``spectral`` is off.
            validate (bool): check that ``lr_adj`` is finite and symmetric.
                :func:`torch_gsr.train.fit` checks its data once and turns
                this off in the step (the check waits for the device).

        Returns:
            GSROutput: ``hr_adj`` is ``[B, N_h, N_h]``.
        """
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes,
                                 values=validate)
        if lr_eigvecs is not None:
            lr_eigvecs = check_eigvecs(lr_eigvecs, 'lr_eigvecs', lr_adj.size(0),
                                       self.lr_nodes, like=lr_adj)
        if not self.spectral:
            lr_eigvecs = None
        elif lr_eigvecs is None:
            lr_eigvecs = compute_lr_eigvecs(lr_adj)
        z0, z_lr = self.encode(lr_adj)
        a_hr, x_hr = self.gsr(z_lr, lr_eigvecs)
        pred = set_diagonal(symmetrize(self.decode(a_hr, x_hr)).abs())
        return GSROutput(hr_adj=unpad_hr(pred, self.hr_nodes),
                         padded_hr_adj=pred, a_hr=a_hr, x_hr=x_hr, z0=z0,
                         z_lr=z_lr)

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r"""The GSR-Net loss :math:`\mathcal{L}_{hr} + \mathcal{L}_{eig} +
        \lambda \mathcal{L}_{rec}` (the last only for models with a
        U-Autoencoder).

        Args:
            out (GSROutput): this model's output for the batch.
            hr_adj (Tensor): ``[B, N_h, N_h]`` target HR connectomes.
            hr_eigvecs (Tensor, optional): ``[B, P, P]`` eigenvectors of the
                padded targets (:func:`torch_gsr.utils.hr_eigvecs`); computed
                here when not given.
            validate (bool): check that ``hr_adj`` is finite and symmetric.
        """
        batch_size = out.hr_adj.size(0)
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes,
                                 values=validate)
        if hr_adj.size(0) != batch_size:
            raise ValueError(f"hr_adj holds {hr_adj.size(0)} subjects but the "
                             f"prediction holds {batch_size}")
        hr_adj = hr_adj.to(out.hr_adj)
        if hr_eigvecs is None:
            hr_eigvecs = compute_hr_eigvecs(hr_adj, self.hr_padded)
        else:
            hr_eigvecs = check_eigvecs(hr_eigvecs, 'hr_eigvecs', batch_size,
                                       self.hr_padded, like=out.hr_adj)
        term_hr = hr_loss(out.hr_adj, hr_adj)
        term_eig = eig_loss(self.gsr.weight, hr_eigvecs, self.sign_invariant_eig)
        term_rec = (self.lambda_rec * rec_loss(out.z0, out.z_lr)
                    if out.z0 is not None else term_hr.new_zeros(()))
        return GSRLoss(term_hr + term_eig + term_rec, term_hr, term_eig, term_rec)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'hr_padded={self.hr_padded})')


class GSRNet(GSRModel):
    r"""GSR-Net (Isallari & Rekik, 2020): a Graph U-Autoencoder embeds the LR
    graph, the :class:`GSRLayer` super-resolves it, and two GCNs embed the
    super-resolved graph,
    :math:`\mathbf{Z}_h = \mathrm{GCN}(\tilde{\mathbf{A}}_h,
    \mathrm{GCN}(\tilde{\mathbf{A}}_h, \tilde{\mathbf{X}}_h))`,
    whose output is the predicted HR connectome. Options: see
    :class:`GSRModel`."""
    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__(lr_nodes, hr_nodes, 'unet', 'gcn', preset, **options)


class GSRLayerOnly(GSRModel):
    r"""Ablation "GSR Layer": no U-Autoencoder, no HR GCNs. The GSR layer
    reads each node's LR connectivity row (repeated ``K`` times) and its
    adjacency (not degree-normalised) is the prediction."""
    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__(lr_nodes, hr_nodes, None, None, preset, **options)


class DeepGSR(GSRModel):
    r"""Variant "Deep GSR": two GCNs embed the LR graph, the GSR layer
    super-resolves it, two GCNs embed the HR graph and an inner-product
    decoder :math:`\mathbf{Z}_h \mathbf{Z}_h^\top` gives the prediction."""
    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__(lr_nodes, hr_nodes, 'gcn', 'gcn_inner', preset,
                         **options)


class GSRAutoencoder(GSRModel):
    r"""Variant "GSR-Autoencoder": GSR-Net without the HR GCNs; the GSR
    layer's adjacency (not degree-normalised) is the prediction."""
    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__(lr_nodes, hr_nodes, 'unet', None, preset, **options)


MODELS = {cls.__name__: cls for cls in (GSRNet, GSRLayerOnly, DeepGSR,
                                        GSRAutoencoder)}


def _register_node_map() -> None:
    # node_map_gsr imports GSRLoss from this module: registered after it.
    from .node_map_gsr import NodeMapGSR
    MODELS[NodeMapGSR.__name__] = NodeMapGSR


_register_node_map()


def build_model(config: dict) -> GSRModel:
    """Rebuilds a model from :meth:`GSRModel.get_config`'s dictionary."""
    config = dict(config)
    name = config.pop('name')
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of "
                         f"{sorted(MODELS)}")
    return MODELS[name](**config)
