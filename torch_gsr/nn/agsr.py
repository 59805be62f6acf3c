r"""AGSR-Net (Isallari & Rekik, Medical Image Analysis 71, 102084, 2021):
GSR-Net with adversarial regularisation."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import functional_call
from torch_geometric.nn import MLP

from ..presets import DEFAULT_PRESET
from ..utils.matrix import set_diagonal, symmetrize
from ..utils.validation import check_adjacency
from .gsr import GSRLayer
from .models import GSRLoss, GSRModel, GSROutput


class NoisyGSRLayer(GSRLayer):
    r"""A :class:`GSRLayer` that adds Gaussian noise
    :math:`\mathcal{N}(0, \sigma^2)` to its input embedding
    :math:`\mathbf{Z}_l` in training mode (AGSR-Net's noise injection);
    in evaluation mode it is the plain layer.

    Args:
        lr_nodes (int), hr_nodes (int), normalize (bool): as
            :class:`GSRLayer`.
        noise_std (float): :math:`\sigma` (``0`` turns the noise off).
    """
    def __init__(self, lr_nodes: int, hr_nodes: int, normalize: bool = True,
                 noise_std: float = 0.1):
        if not noise_std >= 0:
            raise ValueError(f"noise_std must be >= 0, got {noise_std!r}")
        super().__init__(lr_nodes, hr_nodes, normalize)
        self.noise_std = noise_std

    def product(self, z_lr: Tensor, lr_eigvecs: Optional[Tensor]) -> Tensor:
        """The GSR layer's product on ``z_lr`` plus Gaussian noise (training
        only); :meth:`forward` goes through it."""
        if self.training and self.noise_std > 0:
            z_lr = z_lr + self.noise_std * torch.randn_like(z_lr)
        return super().product(z_lr, lr_eigvecs)


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


class AGSRNet(GSRModel):
    r"""AGSR-Net (Isallari & Rekik, 2021): the GSR-Net generator
    (:class:`~torch_gsr.nn.GSRNet`) regularised by a discriminator
    :math:`D`, an MLP that tells each row of the predicted HR connectome
    :math:`\mathbf{Z}_h` (a node's connectivity profile) from a sample of the
    Gaussian prior :math:`p(\mathbf{Z}) = \mathcal{N}(\mathbf{A}_h,
    \sigma_p^2)` around the target (taken as :math:`|\cdot|`, symmetrised,
    unit diagonal, as the released code does), and Gaussian noise
    :math:`\mathcal{N}(0, \sigma_n^2)` is added to the GSR layer's input
    during training (:class:`NoisyGSRLayer`):

    .. math::
        \mathcal{L}_D &= -\log D(\mathbf{Z}) - \log(1 - D(\mathbf{Z}_h)),
        \qquad \mathbf{Z} \sim p(\mathbf{Z}),

        \mathcal{L}_G &= \mathcal{L}_{hr} + \mathcal{L}_{eig} +
        \lambda \mathcal{L}_{rec} - w_{adv} \log D(\mathbf{Z}_h).

    Both players train from one backward pass of ``total = L_G + L_D`` (one
    optimiser, as :func:`torch_gsr.train.fit` uses): :math:`\mathcal{L}_D`
    reads :math:`\mathbf{Z}_h` detached (no gradient to the generator) and
    the generator's adversarial term reads :math:`D` through detached
    parameters (no gradient to :math:`D`), so each player descends its own
    loss. Unlike the released code, whose generator term scores only prior
    samples and so is a constant, :math:`-\log D(\mathbf{Z}_h)` does depend
    on the generator.

    Options: those of :class:`~torch_gsr.nn.GSRModel`, and

    Args:
        adv_weight (float): :math:`w_{adv}`.
        prior_std (float): :math:`\sigma_p`.
        noise_std (float): :math:`\sigma_n`.
        disc_channels (int, optional): width of the discriminator's two
            hidden layers (``None``: ``N_h``, the released code's).
    """
    option_family = 'agsr'

    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__(lr_nodes, hr_nodes, 'unet', 'gcn', preset, **options)

    def _build(self, adv_weight: float, prior_std: float,  # type: ignore[override]
               noise_std: float, disc_channels: Optional[int], **gsr_options):
        # Each model family builds from its own preset table.
        for name, value in (('adv_weight', adv_weight),
                            ('prior_std', prior_std)):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if disc_channels is not None and (isinstance(disc_channels, bool) or
                                          not isinstance(disc_channels, int)
                                          or disc_channels < 1):
            raise ValueError(f"disc_channels must be None or an int >= 1, got "
                             f"{disc_channels!r}")
        super()._build(**gsr_options)
        self.adv_weight = adv_weight
        self.prior_std = prior_std
        # The same layer as GSR-Net's (same options, same parameter name
        # ``gsr.weight`` for the eigen loss), with the noise injection.
        self.gsr = NoisyGSRLayer(self.lr_nodes, self.hr_nodes,
                                 normalize=self.gsr.normalize,
                                 noise_std=noise_std)
        hidden = disc_channels or self.hr_nodes
        self.discriminator = MLP([self.hr_nodes, hidden, hidden, 1],
                                 act='relu', norm=None)

    def reset_parameters(self):
        """Re-initialises the generator and the discriminator."""
        super().reset_parameters()
        self.discriminator.reset_parameters()

    def sample_prior(self, hr_adj: Tensor) -> Tensor:
        r"""``[B, N_h, N_h]`` samples of the prior around ``hr_adj``."""
        noisy = hr_adj + self.prior_std * torch.randn_like(hr_adj)
        return set_diagonal(symmetrize(noisy.abs()))

    def adversarial_losses(self, out: GSROutput, hr_adj: Tensor
                           ) -> Tuple[Tensor, Tensor]:
        r"""``(generator, discriminator)``: :math:`-w_{adv} \log
        D(\mathbf{Z}_h)` (gradients to the generator only) and
        :math:`\mathcal{L}_D` (gradients to the discriminator only).

        Args:
            out (GSROutput): this model's output, ``hr_adj`` ``[B, N_h, N_h]``.
            hr_adj (Tensor): ``[B, N_h, N_h]`` targets.
        """
        pred = out.hr_adj
        prior = self.sample_prior(hr_adj.to(pred))
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

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> AGSRLoss:
        r"""GSR-Net's loss (:meth:`GSRModel.loss`) plus both adversarial
        terms (:meth:`adversarial_losses`) in ``total``; arguments as
        :meth:`GSRModel.loss`."""
        base = super().loss(out, hr_adj, hr_eigvecs, validate)
        hr_adj = check_adjacency(hr_adj, 'hr_adj', self.hr_nodes, values=False)
        gen, disc = self.adversarial_losses(out, hr_adj)
        return AGSRLoss(base.total + gen + disc, base.hr, base.eig, base.rec)
