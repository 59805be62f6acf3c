r"""AGSR-Net (Isallari & Rekik, Medical Image Analysis 71, 102084, 2021):
GSR-Net with adversarial regularisation."""
from dataclasses import dataclass
from typing import ClassVar, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call
from torch_geometric.nn import MLP

from ...config.models import check_non_negative
from ...utils.matrix import set_diagonal, symmetrize
from ..base import preset_options
from ..layers.gsr import GSRLayer
from ..losses import GSRObjective
from ..registry import register_model
from .agsr_released import (
    NoisyGSRLayer,
    ReleasedDiscriminator,
    ReleasedGSRLayer,
    ReleasedHead,
    ReleasedObjective,
)
from .gsr_model import GSRConfig, GSRLoss, GSRModel, GSROutput


@dataclass(frozen=True)
class AGSRConfig(GSRConfig):
    r"""Options of :class:`~torch_gsr.nn.AGSRNet`: those of
    :class:`GSRConfig` and the adversarial ones (documented in the model).
    """
    adv_weight: float = 0.01
    prior_std: float = 0.1
    noise_std: float = 0.
    disc_channels: Optional[int] = None
    # Where each `paper` value comes from (docs/presets.md).
    sources: ClassVar[Dict[str, str]] = {
        'hidden_channels': 'unused by the released generator (its width is P)',
        'node_features': 'released code (identity, model.py:27)',
        'spectral': 'released code (U0, layers.py:26)',
        'dropout': 'released code (0, layers.py:64)',
        'act': 'unused by the released generator (ReLU in its HR GCNs only)',
        'normalize_gsr': 'unused by the released generator (not normalised, layers.py:37)',
        'root_weight': 'unused by the released generator',
        'pool_ratios': 'released code (demo.py:72)',
        'lambda_rec': 'released code (demo.py:49)',
        'adv_weight': 'paper (AGSR-Net); the released term is a constant',
        'prior_std': 'released code (demo.py:65)',
        'noise_std': 'released code (no noise on the GSR input, layers.py:20-42)',
        'disc_channels': 'released code (`None`: N_h)',
        'generator': 'released code (basiralab/AGSR-Net at 73d5bc8)',
    }

    def __post_init__(self):
        super().__post_init__()
        check_non_negative(self, 'adv_weight', 'prior_std', 'noise_std')
        if self.disc_channels is not None and (
                isinstance(self.disc_channels, bool)
                or not isinstance(self.disc_channels, int) or self.disc_channels < 1):
            raise ValueError(f"disc_channels must be None or an int >= 1, got "
                             f"{self.disc_channels!r}")


#: AGSR-Net as released (basiralab/AGSR-Net at 73d5bc8), its defects fixed
#: (``docs/models/agsr_net.md``): its own generator, ``lambda_rec`` and
#: adversarial settings, no input noise.
PAPER_AGSR = AGSRConfig(lambda_rec=0.1, pool_ratios=(0.9, 0.7, 0.6, 0.5),
                        node_features='identity', spectral=True, act='relu',
                        root_weight=False, mean_residual=False,
                        adv_weight=1., noise_std=0., generator='released')
RECOMMENDED_AGSR = AGSRConfig()


class AGSRLoss(GSRLoss):
    r"""A :class:`~torch_gsr.nn.GSRLoss` whose ``total`` also holds the two
    adversarial terms (generator and discriminator); their sum is
    :attr:`adversarial` ``= total - hr - eig - rec``. It stays a 4-tuple, so
    training logs and checkpoints record the same terms for every model."""
    __slots__ = ()

    @property
    def adversarial(self) -> Tensor:
        """The adversarial part of ``total``: generator and discriminator terms."""
        return self.total - self.hr - self.eig - self.rec


@register_model
class AGSRNet(GSRModel):
    r"""AGSR-Net (Isallari & Rekik, Medical Image Analysis 2021): the GSR-Net
    generator (:class:`~torch_gsr.nn.GSRNet`) with Gaussian noise on the GSR
    layer's input in training (:class:`NoisyGSRLayer`), regularised by a
    discriminator :math:`D`, an MLP that tells rows of the prediction
    :math:`\mathbf{Z}_h` from rows of prior samples
    :math:`\mathbf{Z} \sim \mathcal{N}(\mathbf{A}_h, \sigma_p^2)`:

    .. math::
        \mathcal{L}_D &= -\log D(\mathbf{Z}) - \log(1 - D(\mathbf{Z}_h)),

        \mathcal{L}_G &= \mathcal{L}_{hr} + \mathcal{L}_{eig} +
        \lambda \mathcal{L}_{rec} - w_{adv} \log D(\mathbf{Z}_h).

    Both players train from one backward pass of ``total = L_G + L_D``: each
    term reads the other player detached (:meth:`adversarial_losses`).

    Args:
        lr_nodes, hr_nodes, preset, and GSR-Net's options: as
            :class:`~torch_gsr.nn.GSRNet` (``'paper'`` here is AGSR-Net's
            release, :data:`~torch_gsr.config.PAPER_AGSR`).
        adv_weight (float): :math:`w_{adv}`. (default: :obj:`0.01`)
        prior_std (float): :math:`\sigma_p`. (default: :obj:`0.1`)
        noise_std (float): :math:`\sigma_n` of the input noise.
            (default: :obj:`0.`)
        disc_channels (int, optional): width of the discriminator's two
            hidden layers. (default: :obj:`None`, ``N_h``)
        generator (str): ``'gsr_net'``, the package's GSR-Net generator, or
            ``'released'`` (``'paper'``), the released AGSR-Net's own
            (:mod:`~torch_gsr.nn.agsr_released`: its U-Autoencoder, GSR
            layer and HR GCNs; its loss on the padded matrices, the eigen
            target padded with a unit diagonal; its bias-free discriminator
            on padded rows; ``hidden_channels``, ``act``, ``dropout``,
            ``node_features``, ``normalize_gsr``, ``root_weight`` and
            ``disc_channels`` unused). (default: :obj:`'gsr_net'`)
    """
    encoder_kind, head_kind = 'unet', 'gcn'
    config_class = AGSRConfig
    config: AGSRConfig

    @preset_options(AGSRConfig, dict(paper=PAPER_AGSR, recommended=RECOMMENDED_AGSR))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 hidden_channels: Optional[int] = None,
                 pool_ratios: Sequence[float] = (0.9, 0.7),
                 lambda_rec: float = 0.1, sign_invariant_eig: bool = False,
                 dropout: float = 0., node_features: str = 'adjacency',
                 normalize_gsr: bool = True, spectral: bool = False,
                 act: str = 'elu', lr_top_k: Optional[int] = None,
                 root_weight: bool = True, mean_residual: bool = True,
                 generator: str = 'gsr_net',
                 adv_weight: float = 0.01, prior_std: float = 0.1,
                 noise_std: float = 0., disc_channels: Optional[int] = None):
        super().__init__(lr_nodes, hr_nodes, AGSRConfig(
            hidden_channels=hidden_channels, pool_ratios=tuple(pool_ratios),
            lambda_rec=lambda_rec, sign_invariant_eig=sign_invariant_eig,
            dropout=dropout, node_features=node_features,
            normalize_gsr=normalize_gsr, spectral=spectral, act=act,
            lr_top_k=lr_top_k, root_weight=root_weight,
            mean_residual=mean_residual, adv_weight=adv_weight,
            prior_std=prior_std, noise_std=noise_std,
            disc_channels=disc_channels, generator=generator))
        self.adv_weight = adv_weight
        self.prior_std = prior_std
        # 0.2.0 drew the GSR weight after the head's: drawn again here, the
        # same seed gives the same model.
        self.gsr.reset_parameters()
        self.discriminator: torch.nn.Module
        if self.released:
            self.discriminator = ReleasedDiscriminator(self.hr_padded)
            return
        hidden = disc_channels or hr_nodes
        self.discriminator = MLP([hr_nodes, hidden, hidden, 1], act='relu',
                                 norm=None)

    def init_head(self, config: GSRConfig) -> Optional[torch.nn.Module]:
        r"""GSR-Net's HR GCNs, or the released AGSR-Net's (with ReLU)."""
        if self.released:
            return ReleasedHead(self.hr_padded, self.hr_padded)
        return super().init_head(config)

    def init_gsr_layer(self, config: GSRConfig) -> GSRLayer:
        r"""GSR-Net's layer (same options, same ``gsr.weight`` for the eigen
        loss) with the noise injection."""
        assert isinstance(config, AGSRConfig)
        if self.released:
            return ReleasedGSRLayer(self.lr_nodes, self.hr_nodes, normalize=False,
                                    noise_std=config.noise_std)
        return NoisyGSRLayer(self.lr_nodes, self.hr_nodes,
                             normalize=config.normalize_gsr and self.head_kind is not None,
                             noise_std=config.noise_std)

    def reset_parameters(self):
        """Re-initialises the generator and the discriminator."""
        super().reset_parameters()
        self.discriminator.reset_parameters()

    def sample_prior(self, hr_adj: Tensor) -> Tensor:
        r"""``[B, N_h, N_h]`` samples of the prior around ``hr_adj``."""
        noisy = hr_adj + self.prior_std * torch.randn_like(hr_adj)
        return set_diagonal(symmetrize(noisy.abs()))

    def adversarial_losses(self, pred: Tensor, target: Tensor) -> Tuple[Tensor, Tensor]:
        r"""``(generator, discriminator)``: :math:`-w_{adv} \log
        D(\mathbf{Z}_h)` (gradients to the generator only) and
        :math:`\mathcal{L}_D` (gradients to the discriminator only), the
        prior drawn around ``target``.

        Args:
            pred (Tensor): ``[B, N, N]`` predictions (cropped, or padded
                for the released code).
            target (Tensor): ``[B, N, N]`` their targets.
        """
        prior = self.sample_prior(target.to(pred))
        real_logits = self.discriminator(prior)
        fake_logits = self.discriminator(pred.detach())
        disc = (F.binary_cross_entropy_with_logits(
                    real_logits, torch.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(
                    fake_logits, torch.zeros_like(fake_logits)))
        frozen = {name: param.detach() for name, param
                  in self.discriminator.named_parameters()}
        gen_logits = functional_call(self.discriminator, frozen, (pred,))
        gen = self.adv_weight * F.binary_cross_entropy_with_logits(
            gen_logits, torch.ones_like(gen_logits))
        return gen, disc

    def init_objective(self) -> GSRObjective:
        r"""GSR-Net's loss terms, or the released AGSR-Net's (padded)."""
        return ReleasedObjective(padded=True) if self.released else super().init_objective()

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> AGSRLoss:
        r"""GSR-Net's loss terms plus both adversarial terms
        (:meth:`adversarial_losses`) in ``total``; arguments as
        :meth:`GSRModel.loss`."""
        terms = self.objective(self, out, hr_adj, hr_eigvecs, validate)
        gen, disc = self.adversarial_losses(terms.pred, terms.target)
        return AGSRLoss(terms.hr + terms.eig + terms.rec + gen + disc, terms.hr,
                        terms.eig, terms.rec)

