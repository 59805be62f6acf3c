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
from typing import Callable, Dict, NamedTuple, Optional, Sequence, Type, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from ..presets import DEFAULT_PRESET, model_options
from ..utils.matrix import set_diagonal, symmetrize
from ..utils.padding import pad_hr, padded_size, unpad_hr
from ..utils.sparse import strongest_edges
from ..utils.spectra import hr_eigvecs as compute_hr_eigvecs
from ..utils.spectra import lr_eigvecs as compute_lr_eigvecs
from ..utils.validation import check_eigvecs, check_sizes
from .activation import resolve_activation
from .base import SuperResolutionModel
from .conv import ConnectomeGCNConv
from .edge_batch import EdgeBatch, Graph, convolve, normalize
from .gsr import GSRLayer
from .losses import eig_loss, hr_loss, rec_loss
from .sparse_conv import SparseConnectomeGCNConv
from .unet import GraphUAutoencoder, check_graph_kind


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
        r"""``x``: ``[B, N, F_0]`` or ``None`` (identity); ``adj``:
        ``[B, N, N]``, or an :class:`EdgeBatch` when ``sparse``. Returns
        ``[B, N, F_last]``."""
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
    r"""Base of every GSR model: checks inputs, runs ``encoder -> GSR layer ->
    head``, finishes the prediction (symmetric, non-negative, unit diagonal,
    cropped to ``hr_nodes``) and computes the loss.

    Every option defaults to the value of the named ``preset``
    (:mod:`torch_gsr.presets`: ``"recommended"``, or ``"paper"`` for GSR-Net
    exactly as published); options given explicitly override it. Options a
    model has no part for (``pool_ratios`` and ``lambda_rec`` without a
    U-Autoencoder, ``node_features`` and ``lr_top_k`` for
    :class:`GSRLayerOnly`, which has no encoder and always reads the LR
    adjacency rows) are recorded in the config but change nothing.

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
        act (str): activation after every GCN, a name
            :func:`~torch_gsr.nn.activation.resolve_activation` knows
            (``'relu'``, ``'leaky_relu'``, ``'elu'``, ``'tanh'``,
            ``'identity'``, ...).
        lr_top_k (int, optional): run the encoder on sparse LR graphs:
            each node's ``lr_top_k`` strongest edges
            (:func:`~torch_gsr.utils.sparse.strongest_edges`, the rule of
            :class:`~torch_gsr.transforms.Sparsify`), with
            :class:`SparseConnectomeGCNConv`, so the encoder's graphs cost
            memory in proportion to their edges. The embeddings stay dense
            (the GSR layer needs :math:`\mathbf{Z}_l \in
            \mathbb{R}^{N \times P}`), and so do the LR node features and
            the spectra. ``None``: the dense graphs.
        mean_residual (bool): predict the training-mean HR connectome plus
            the GSR layer's signed product plus the head's output,

            .. math::
                \hat{\mathbf{A}}_h = \big|\bar{\mathbf{A}}_h +
                \mathbf{W}\mathbf{S}_d\mathbf{U}_0^\top\mathbf{Z}_l +
                \mathrm{head}(\tilde{\mathbf{A}}_h, \tilde{\mathbf{X}}_h)\big|,

            from LR connectivity rows centred on the training-mean LR
            connectome, :math:`\mathbf{A}_l - \bar{\mathbf{A}}_l` (as
            node features, and as the GSR layer's input without an encoder;
            the graphs the GCNs propagate over stay the raw LR connectomes).
            The product skips the head, keeping the sign and scale of the
            subject's deviation that the GSR layer's absolute value and
            normalisation remove, and the network learns only what is
            subject-specific; without it, on connectomes whose subjects
            differ by a few percent of the connection strength, it learns
            the mean and little else (``docs/presets.md``).
            :meth:`initialize` sets both means (:func:`~torch_gsr.train.fit`
            calls it); until then they are zero.
        root_weight (bool): every GCN of the encoder and the head adds its
            nodes' own features through a separate weight,
            :math:`\hat{D}^{-1/2}\hat{A}\hat{D}^{-1/2}\mathbf{X}\mathbf{W} +
            \mathbf{X}\mathbf{W}_{root}` (:class:`ConnectomeGCNConv`), so
            node-specific features survive propagation over dense, nearly
            uniform graphs, where the normalised propagation alone averages
            them away.

    Inputs (:meth:`forward`): a dense ``lr_adj``, a
    :class:`~torch_gsr.datasets.ConnectomePair` or a :class:`Batch` of
    them, or a sparse ``edge_index``/``edge_weight``/``batch``; every form
    gives the same numbers. :meth:`predict_graphs` returns the prediction as
    PyG graphs.
    """
    #: The table of the preset that holds this model's options
    #: (:func:`~torch_gsr.presets.model_options`).
    option_family = 'model'
    # Buffers with ``mean_residual``: the training-mean LR and (padded) HR
    # connectomes.
    lr_mean: Tensor
    hr_mean: Tensor
    mean_residual = False  # set by _build; STP-GSR builds its own parts

    def __init__(self, lr_nodes: int, hr_nodes: int, encoder: Optional[str],
                 head: Optional[str], preset: str = DEFAULT_PRESET, **options):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.config = model_options(preset, family=self.option_family,
                                    **options)
        self.lr_nodes = lr_nodes
        self.hr_nodes = hr_nodes
        self.hr_padded = padded_size(lr_nodes, hr_nodes)
        self.encoder_kind, self.head_kind = encoder, head
        self._build(**self.config)

    def _build(self, hidden_channels: Optional[int], pool_ratios: Sequence[float],
               lambda_rec: float, sign_invariant_eig: bool, dropout: float,
               node_features: str, normalize_gsr: bool, spectral: bool,
               act: str, lr_top_k: Optional[int], root_weight: bool,
               mean_residual: bool):
        if node_features not in ('identity', 'adjacency'):
            raise ValueError(f"node_features must be 'identity' or "
                             f"'adjacency', got {node_features!r}")
        resolve_activation(act)  # an unknown name fails here, whatever the parts
        if lr_top_k is not None and not 0 < lr_top_k < self.lr_nodes:
            raise ValueError(f"lr_top_k must be None or in [1, "
                             f"{self.lr_nodes - 1}], got {lr_top_k}")
        self.lr_top_k = lr_top_k
        sparse = lr_top_k is not None
        self.config['pool_ratios'] = tuple(pool_ratios)
        self.node_features = node_features
        self.spectral = spectral
        self.lambda_rec = lambda_rec
        self.sign_invariant_eig = sign_invariant_eig
        self.hidden_channels = hidden_channels or self.hr_padded
        self.mean_residual = mean_residual
        if mean_residual:
            # Zero until initialize() sees training data: then the model
            # starts as the mean predictor plus the head's output.
            self.register_buffer('lr_mean', torch.zeros(self.lr_nodes, self.lr_nodes))
            self.register_buffer('hr_mean', torch.zeros(self.hr_padded, self.hr_padded))

        hidden, padded = self.hidden_channels, self.hr_padded
        self.encoder: Optional[torch.nn.Module] = None
        if self.encoder_kind == 'unet':
            self.encoder = GraphUAutoencoder(self.lr_nodes, padded, pool_ratios,
                                             act=act, dropout=dropout,
                                             sparse=sparse, root_weight=root_weight)
        elif self.encoder_kind == 'gcn':
            self.encoder = GCNStack([self.lr_nodes, hidden, padded], act=act,
                                    dropout=dropout, sparse=sparse,
                                    root_weight=root_weight)
        elif self.encoder_kind is not None:
            raise ValueError(f"unknown encoder {self.encoder_kind!r}")
        # The degree normalisation conditions the HR GCNs' input; a model
        # without them predicts the GSR layer's adjacency itself, on the
        # connectome's scale.
        self.gsr = GSRLayer(self.lr_nodes, self.hr_nodes,
                            normalize=normalize_gsr and self.head_kind is not None)
        self.head = None
        if self.head_kind in ('gcn', 'gcn_inner'):
            self.head = GCNStack([padded, hidden, padded], act=act,
                                 dropout=dropout, root_weight=root_weight)
        elif self.head_kind is not None:
            raise ValueError(f"unknown head {self.head_kind!r}")

    def reset_parameters(self):
        """Re-initialises the encoder, the GSR layer and the head."""
        for module in (self.encoder, self.gsr, self.head):
            if module is not None:
                module.reset_parameters()

    @torch.no_grad()
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor) -> None:
        r"""With ``mean_residual``, stores the training-mean LR and HR
        connectomes (nothing otherwise).

        Args:
            lr_adj (Tensor): ``[S, N, N]`` training LR connectomes.
            hr_adj (Tensor): ``[S, N_h, N_h]`` training HR connectomes.
        """
        if not self.mean_residual:
            return
        lr_mean, hr_mean = self.training_means(lr_adj, hr_adj)
        self.lr_mean.copy_(lr_mean)
        self.hr_mean.copy_(pad_hr(hr_mean, self.hr_padded))

    def get_config(self) -> dict:
        """Everything needed to rebuild this model with :func:`build_model`."""
        return dict(name=self.__class__.__name__, lr_nodes=self.lr_nodes,
                    hr_nodes=self.hr_nodes, **self.config)

    def encoder_graph(self, lr_adj: Tensor) -> Graph:
        r"""The LR graphs the encoder runs on: ``lr_adj`` ``[B, N, N]``
        itself, or its ``lr_top_k`` strongest edges as an
        :class:`EdgeBatch`."""
        if self.lr_top_k is None:
            return lr_adj
        return EdgeBatch.from_dense(strongest_edges(lr_adj, top_k=self.lr_top_k))

    def encode(self, lr_adj: Tensor):
        """LR embeddings ``(z0 or None, z_lr [B, N, P])`` of ``lr_adj [B, N, N]``."""
        rows = lr_adj - self.lr_mean.to(lr_adj) if self.mean_residual else lr_adj
        if self.encoder is None:
            # Each node's LR connectivity row, repeated K times, is its
            # P-dimensional input to the GSR layer.
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

    def forward(self, lr_adj: Union[Tensor, Data, None] = None,
                lr_eigvecs: Optional[Tensor] = None, validate: bool = True, *,
                edge_index: Optional[Tensor] = None,
                edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None) -> GSROutput:
        r"""Predicts HR connectomes from LR ones.

        Args:
            lr_adj (Tensor or Data): ``[B, N, N]`` or ``[N, N]`` LR
                connectomes, or a :class:`~torch_gsr.datasets.ConnectomePair`
                or :class:`~torch_geometric.data.Batch` of them (its
                ``lr_adj``, else its ``edge_index``/``edge_weight``/``batch``;
                its cached ``lr_eigvecs`` when there are).
            lr_eigvecs (Tensor, optional): ``[B, N, N]`` eigenvectors of the
                normalised LR adjacency (:func:`torch_gsr.utils.lr_eigvecs`);
                pass them precomputed to keep eigendecompositions out of
                training (:class:`torch_gsr.transforms.AddSpectra`). Unused
                (but still checked) when ``spectral`` is off.
            validate (bool): check that ``lr_adj`` is finite and symmetric
                (and the edges in range). :func:`torch_gsr.train.fit` checks
                its data once and turns this off in the step (the check
                waits for the device).
            edge_index (Tensor, optional): ``[2, E]`` LR edges (PyG batch
                numbering) instead of ``lr_adj``; densified with a unit
                diagonal (:func:`~torch_gsr.utils.sparse.dense_connectomes`).
            edge_weight (Tensor, optional): ``[E]`` their weights.
            batch (Tensor, optional): ``[B * N]`` graph of each node
                (``None``: one graph).

        Returns:
            GSROutput: ``hr_adj`` is ``[B, N_h, N_h]``.
        """
        lr_adj, lr_eigvecs = self.read_input(lr_adj, lr_eigvecs, validate,
                                             edge_index, edge_weight, batch)
        if not self.spectral:
            lr_eigvecs = None
        elif lr_eigvecs is None:
            lr_eigvecs = compute_lr_eigvecs(lr_adj)
        z0, z_lr = self.encode(lr_adj)
        product = self.gsr.product(z_lr, lr_eigvecs)
        a_hr, x_hr = self.gsr.graph(product)
        if self.mean_residual:
            # The signed GSR product skips the head, so the head learns a
            # correction of a linear super-resolution of the deviation.
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
        hr_adj = self.read_target(hr_adj, out.hr_adj, validate)
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
    whose output is the predicted HR connectome (with ``mean_residual``, the
    recommended preset's: its correction of the training-mean HR connectome
    plus the GSR layer's signed product). Options: see
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


MODELS: Dict[str, Type[SuperResolutionModel]] = {
    cls.__name__: cls for cls in (GSRNet, GSRLayerOnly, DeepGSR, GSRAutoencoder)}


# Options added after 0.1.0, per option family, with the values that rebuild
# a model saved before them: a config without them is such a model.
_ADDED_GSR_OPTIONS = dict(lr_top_k=None, root_weight=False, mean_residual=False)
ADDED_OPTIONS: Dict[str, dict] = dict(model=_ADDED_GSR_OPTIONS,
                                      agsr=_ADDED_GSR_OPTIONS,
                                      node_map=dict(ridge_blend=False))


def build_model(config: dict) -> SuperResolutionModel:
    """Rebuilds a model from :meth:`GSRModel.get_config`'s dictionary (one
    saved by an older version gets the options it predates switched off)."""
    config = dict(config)
    name = config.pop('name')
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of "
                         f"{sorted(MODELS)}")
    cls = MODELS[name]
    added = ADDED_OPTIONS.get(getattr(cls, 'option_family', ''), {})
    return cls(**dict(added, **config))
