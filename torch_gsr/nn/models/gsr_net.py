r"""GSR-Net and the three variants of the paper's section 3, which differ in
how they embed the LR graph (``encoder_kind``) and what they stack on the GSR
layer's output (``head_kind``)."""
from typing import ClassVar, Optional, Sequence

import torch

from ..base import preset_options
from ..layers.gsr import GSRLayer
from ..losses import GSRObjective
from ..registry import register_model
from .agsr_released import ReleasedGSRLayer, ReleasedHead, ReleasedObjective
from .gsr_model import PAPER_GSR, RECOMMENDED_GSR, GSRConfig, GSRModel

__all__ = ['GSRNet', 'GSRLayerOnly', 'DeepGSR', 'GSRAutoencoder']


@register_model
class GSRNet(GSRModel):
    r"""GSR-Net (Isallari & Rekik, MICCAI 2020): a Graph U-Autoencoder embeds
    the LR graph, the :class:`~torch_gsr.nn.GSRLayer` super-resolves it and
    two GCNs embed the super-resolved graph,
    :math:`\mathbf{Z}_h = \mathrm{GCN}(\tilde{\mathbf{A}}_h,
    \mathrm{GCN}(\tilde{\mathbf{A}}_h, \tilde{\mathbf{X}}_h))`, the prediction.
    Options left out take preset ``preset``'s values; the defaults shown are
    ``'recommended'``'s, ``'paper'`` is the released GSR-Net with its defects
    fixed (:class:`~torch_gsr.config.GSRConfig`, ``docs/models/gsr_net.md``).

    Args:
        lr_nodes (int): LR node count ``N``.
        hr_nodes (int): HR node count ``N_h`` (``>= N``).
        preset (str): ``'recommended'`` or ``'paper'``.
        hidden_channels (int, optional): width of the HR GCNs (and of
            DeepGSR's LR GCNs); :obj:`None` is ``P = K N``. (default: :obj:`None`)
        pool_ratios (sequence of float): U-Autoencoder pool ratios, one per
            level. (default: :obj:`(0.9, 0.7)`)
        lambda_rec (float): weight of the reconstruction loss. (default: :obj:`0.1`)
        sign_invariant_eig (bool): sign-invariant eigen loss. (default: :obj:`False`)
        dropout (float): dropout before each GCN. (default: :obj:`0.`)
        node_features (str): ``'identity'`` (the paper's) or ``'adjacency'``
            (each node's LR row). (default: :obj:`'adjacency'`)
        normalize_gsr (bool): degree-normalise the GSR adjacency before the
            HR GCNs. (default: :obj:`True`)
        spectral (bool): embed in the LR eigenbasis, as the paper does.
            (default: :obj:`False`)
        act (str): activation after every GCN. (default: :obj:`'elu'`)
        lr_top_k (int, optional): run the encoder on each node's ``lr_top_k``
            strongest LR edges, sparse. (default: :obj:`None`, dense)
        root_weight (bool): every GCN adds a root weight. (default: :obj:`True`)
        mean_residual (bool): predict the training-mean HR connectome plus the
            signed GSR product plus the head (:meth:`initialize` sets the
            means). (default: :obj:`True`)
        generator (str): ``'gsr_net'``, or ``'released'`` (``'paper'``), the
            released GSR-Net's (:mod:`~torch_gsr.nn.agsr_released`, its
            U-Net GCNs propagating over the LR graph; its loss, the eigen
            target padded with a unit diagonal; ``act``, ``dropout`` and
            ``root_weight`` unused; the variants ignore it).
            (default: :obj:`'gsr_net'`)
    """
    encoder_kind: ClassVar[Optional[str]] = 'unet'
    head_kind: ClassVar[Optional[str]] = 'gcn'

    @preset_options(GSRConfig, dict(paper=PAPER_GSR, recommended=RECOMMENDED_GSR))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 hidden_channels: Optional[int] = None,
                 pool_ratios: Sequence[float] = (0.9, 0.7),
                 lambda_rec: float = 0.1, sign_invariant_eig: bool = False,
                 dropout: float = 0., node_features: str = 'adjacency',
                 normalize_gsr: bool = True, spectral: bool = False,
                 act: str = 'elu', lr_top_k: Optional[int] = None,
                 root_weight: bool = True, mean_residual: bool = True,
                 generator: str = 'gsr_net'):
        super().__init__(lr_nodes, hr_nodes, GSRConfig(
            hidden_channels=hidden_channels, pool_ratios=tuple(pool_ratios),
            lambda_rec=lambda_rec, sign_invariant_eig=sign_invariant_eig,
            dropout=dropout, node_features=node_features,
            normalize_gsr=normalize_gsr, spectral=spectral, act=act,
            lr_top_k=lr_top_k, root_weight=root_weight,
            mean_residual=mean_residual, generator=generator))

    def init_head(self, config: GSRConfig) -> Optional[torch.nn.Module]:
        r"""The package's HR GCNs, or the released ones (no activation)."""
        if self.released:
            return ReleasedHead(self.hr_padded, self.hidden_channels, relu=False)
        return super().init_head(config)

    def init_gsr_layer(self, config: GSRConfig) -> GSRLayer:
        r"""The package's GSR layer, or the released one (not symmetrised)."""
        if self.released:
            return ReleasedGSRLayer(self.lr_nodes, self.hr_nodes,
                                    normalize=config.normalize_gsr, noise_std=0.)
        return super().init_gsr_layer(config)

    def init_objective(self) -> GSRObjective:
        r"""The package's loss terms, or the released ones (train.py:30-35)."""
        return ReleasedObjective(padded=False) if self.released else super().init_objective()


@register_model
class GSRLayerOnly(GSRNet):
    r"""Ablation "GSR Layer": no U-Autoencoder, no HR GCNs. The GSR layer reads
    each node's LR connectivity row (repeated ``K`` times) and its adjacency
    (not degree-normalised) is the prediction; ``pool_ratios``,
    ``lambda_rec``, ``node_features`` and ``lr_top_k`` change nothing. Args:
    as :class:`GSRNet`."""
    encoder_kind, head_kind = None, None


@register_model
class DeepGSR(GSRNet):
    r"""Variant "Deep GSR": two GCNs embed the LR graph, the GSR layer
    super-resolves it, two GCNs embed the HR graph and an inner-product
    decoder :math:`\mathbf{Z}_h \mathbf{Z}_h^\top` gives the prediction
    (``pool_ratios`` and ``lambda_rec`` change nothing). Args: as
    :class:`GSRNet`."""
    encoder_kind, head_kind = 'gcn', 'gcn_inner'


@register_model
class GSRAutoencoder(GSRNet):
    r"""Variant "GSR-Autoencoder": GSR-Net without the HR GCNs; the GSR layer's
    adjacency (not degree-normalised) is the prediction. Args: as
    :class:`GSRNet`."""
    encoder_kind, head_kind = 'unet', None
