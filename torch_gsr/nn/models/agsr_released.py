r"""The parts of the released GSR-Net (basiralab/GSR-Net at bb54332) and
AGSR-Net (basiralab/AGSR-Net at 73d5bc8) generators and AGSR-Net's
discriminator, batched: ``GSRNet(generator='released')`` and
``AGSRNet(generator='released')`` build from them
(``docs/models/gsr_net.md`` and ``agsr_net.md`` give the file and line of
each)."""
from typing import Any, Optional, Sequence, Tuple, cast

import torch
import torch.nn.functional as F
from torch import Tensor

from ...utils.matrix import set_diagonal, symmetrize
from ...utils.padding import pad_hr
from ...utils.spectra import normalize_adj
from ..layers.gsr import GSRLayer
from ..losses import GSRObjective, LossTerms
from ..pool.graph_pool import _gather_rows, pool_dense_adj


def released_gsr_graph(product: Tensor, normalize: bool) -> Tuple[Tensor, Tensor]:
    r"""The released GSR layers' post-processing of the product
    :math:`\mathbf{W}\mathbf{S}_d\mathbf{U}_0^\top\mathbf{Z}_l`: the
    adjacency :math:`\mathbf{F} = |\cdot|` with a unit diagonal, not
    symmetrised, with ``normalize`` :math:`\mathbf{D}^{-1/2}\mathbf{F}^\top
    \mathbf{D}^{-1/2}` (:math:`\mathbf{D}` the row sums of :math:`\mathbf{F}`,
    GSR-Net's layers.py:30-33; AGSR-Net's does not normalise); the features
    :math:`\mathbf{A}\mathbf{A}^\top` symmetrised with a unit diagonal."""
    a_hr = set_diagonal(product.abs())
    if normalize:
        inv = a_hr.sum(dim=-1).pow(-0.5)
        inv = inv.masked_fill(torch.isinf(inv), 0.)
        a_hr = inv.unsqueeze(-1) * a_hr.transpose(-1, -2) * inv.unsqueeze(-2)
    x_hr = torch.matmul(a_hr, a_hr.transpose(-1, -2))
    return a_hr, set_diagonal(symmetrize(x_hr))


class NoisyGSRLayer(GSRLayer):
    r"""A :class:`GSRLayer` that adds Gaussian noise
    :math:`\mathcal{N}(0, \sigma^2)` to its input embedding
    :math:`\mathbf{Z}_l` in training mode (AGSR-Net's noise injection);
    in evaluation mode it is the plain layer.

    Args:
        lr_nodes (int), hr_nodes (int), normalize (bool): as
            :class:`GSRLayer`.
        noise_std (float): :math:`\sigma` (``0`` turns the noise off).
            (default: :obj:`0.1`)

    Shapes:
        as :class:`GSRLayer`.
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


class ReleasedGSRLayer(NoisyGSRLayer):
    r"""The released GSR layer: a :class:`NoisyGSRLayer` whose
    post-processing is :func:`released_gsr_graph` (GSR-Net's release
    normalises, ``normalize=True``; AGSR-Net's does not; layers.py:19-38 and
    20-42).

    Shapes:
        as :class:`GSRLayer`.
    """
    def graph(self, product: Tensor) -> Tuple[Tensor, Tensor]:
        """The released post-processing of :meth:`product`'s output."""
        return released_gsr_graph(product, self.normalize)


class ScoredPool(torch.nn.Module):
    r"""Top-:math:`k` pooling with the released AGSR-Net's score,

    .. math::
        \mathbf{s} = \sigma\big((\mathbf{X}\mathbf{p} + b) / 100\big), \quad
        \mathrm{idx} = \mathrm{rank}(\mathbf{s}, k), \quad
        \mathbf{X}' = \mathbf{X}_{\mathrm{idx}} \odot \mathbf{s}_{\mathrm{idx}}
        \mathbf{1}^\top,

    :math:`k = \lfloor \mathrm{ratio} \cdot N \rfloor`.

    Args:
        in_channels (int): feature size ``F``.
        ratio (float): fraction of nodes kept.

    Shapes:
        - **input:** ``[B, N, F]``
        - **output:** ``[B, k, F]`` and the kept indices ``[B, k]``
    """
    def __init__(self, in_channels: int, ratio: float):
        super().__init__()
        if not 0. < ratio <= 1.:
            raise ValueError(f"ratio must be in (0, 1], got {ratio}")
        self.ratio = ratio
        self.lin = torch.nn.Linear(in_channels, 1)

    def reset_parameters(self):
        """Re-initialises the score's weight and bias."""
        self.lin.reset_parameters()

    def select(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        r"""The pooled features and the kept indices of ``x``."""
        num_kept = max(1, int(self.ratio * x.size(-2)))
        score = torch.sigmoid(self.lin(x).squeeze(-1) / 100)
        score, idx = score.topk(num_kept, dim=-1)
        return _gather_rows(x, idx) * score.unsqueeze(-1), idx

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.lin.in_features}, ratio={self.ratio})'


class ReleasedUAutoencoder(torch.nn.Module):
    r"""AGSR-Net's released Graph U-Net. Every GCN is
    :math:`\mathrm{Linear}(\hat{\mathbf{A}}\mathbf{X})` without activation,
    :math:`\hat{\mathbf{A}} = D^{-1/2}\mathbf{A}D^{-1/2}` (row sums, no
    self-loops); a start GCN on identity features gives
    :math:`\mathbf{Z}_0`; each level applies a GCN, keeps its output and
    pools (:class:`ScoredPool`, the pooled :math:`\hat{\mathbf{A}}` block
    not re-normalised); a bottom GCN; each decoding step (deepest level
    first) unpools, applies a GCN and adds the level's kept output; an end
    GCN maps :math:`[\mathbf{H}, \mathbf{Z}_0]` to :math:`\mathbf{Z}_l`.

    Args:
        in_channels (int): LR node count ``N`` (identity features).
        hidden_channels (int): width ``D``.
        out_channels (int): width of :math:`\mathbf{Z}_l`.
        pool_ratios (sequence of float): one per level.

    Shapes:
        - **input:** LR adjacency ``[B, N, N]`` (features ``None``)
        - **output:** :math:`\mathbf{Z}_0` ``[B, N, D]``,
          :math:`\mathbf{Z}_l` ``[B, N, out_channels]``
    """
    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 pool_ratios: Sequence[float]):
        super().__init__()
        self.pool_ratios = tuple(pool_ratios)
        num_nodes = in_channels
        for ratio in self.pool_ratios:
            num_nodes = int(ratio * num_nodes)
            if num_nodes < 1:
                raise ValueError(f"pool_ratios {self.pool_ratios} pool {in_channels} "
                                 f"nodes down to none (k = floor(ratio N))")
        width = hidden_channels
        self.start = torch.nn.Linear(in_channels, width)
        self.down = torch.nn.ModuleList(torch.nn.Linear(width, width)
                                        for _ in self.pool_ratios)
        self.pools = torch.nn.ModuleList(ScoredPool(width, ratio)
                                         for ratio in self.pool_ratios)
        self.bottom = torch.nn.Linear(width, width)
        self.up = torch.nn.ModuleList(torch.nn.Linear(width, width)
                                      for _ in self.pool_ratios)
        self.end = torch.nn.Linear(2 * width, out_channels)

    def reset_parameters(self):
        """Re-initialises every GCN and pool."""
        for module in (self.start, *self.down, *self.pools, self.bottom,
                       *self.up, self.end):
            module.reset_parameters()

    def forward(self, x: Optional[Tensor], adj: Tensor) -> Tuple[Tensor, Tensor]:
        r"""Embeds the LR graphs ``adj``; ``x`` must be ``None``."""
        if x is not None:
            raise ValueError("the released U-Autoencoder reads identity features "
                             "only (node_features='identity')")
        prop = normalize_adj(adj)
        z0 = self.start(prop)  # (A I) W^T + b
        h, levels = z0, []
        for conv, pool in zip(self.down, self.pools, strict=True):
            h = conv(prop @ h)
            skip = h
            h, idx = cast(ScoredPool, pool).select(h)
            levels.append((prop, skip, idx))
            prop = pool_dense_adj(prop, idx)
        h = self.bottom(prop @ h)
        for conv, (prop, skip, idx) in zip(self.up, reversed(levels), strict=True):
            full = h.new_zeros(skip.shape).scatter(
                -2, idx.unsqueeze(-1).expand_as(h), h)
            h = conv(prop @ full) + skip
        return z0, self.end(prop @ torch.cat([h, z0], dim=-1))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.start.in_features}, '
                f'{self.start.out_features}, pool_ratios={self.pool_ratios})')


class ReleasedHead(torch.nn.Module):
    r"""The released HR GCNs, :math:`\sigma(\mathbf{A}
    (\sigma(\mathbf{A}\mathbf{X}\mathbf{W}_1))\mathbf{W}_2)`: no
    bias, Xavier uniform weights, over the GSR layer's adjacency as it is;
    :math:`\sigma` is ReLU in AGSR-Net's release and the identity in
    GSR-Net's (its activation is commented out, layers.py:63).

    Args:
        in_channels (int): ``P``.
        hidden_channels (int): width of the first GCN.
        relu (bool): ReLU after each GCN. (default: :obj:`True`)

    Shapes:
        - **input:** features ``[B, P, P]``, adjacency ``[B, P, P]``
        - **output:** ``[B, P, P]``
    """
    def __init__(self, in_channels: int, hidden_channels: int, relu: bool = True):
        super().__init__()
        self.relu = relu
        self.weight1 = torch.nn.Parameter(torch.empty(in_channels, hidden_channels))
        self.weight2 = torch.nn.Parameter(torch.empty(hidden_channels, in_channels))
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises both weights (Xavier uniform)."""
        torch.nn.init.xavier_uniform_(self.weight1)
        torch.nn.init.xavier_uniform_(self.weight2)

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        r"""The two GCNs on features ``x`` over ``adj``."""
        h = adj @ (x @ self.weight1)
        h = F.relu(h) if self.relu else h
        out = adj @ (h @ self.weight2)
        return F.relu(out) if self.relu else out

    def __repr__(self) -> str:
        relu = '' if self.relu else ', relu=False'
        return (f'{self.__class__.__name__}({self.weight1.size(0)}, '
                f'{self.weight1.size(1)}{relu})')


class ReleasedDiscriminator(torch.nn.Module):
    r"""AGSR-Net's released discriminator: three bias-free dense layers
    ``P -> P -> P -> 1`` drawn from :math:`\mathcal{N}(0, \sigma^2)`, ReLU
    between them, returning logits (the released sigmoid belongs to the
    loss: binary cross-entropy on a sigmoid is the one on its logits).

    Args:
        in_channels (int): row width ``P``.
        std (float): :math:`\sigma`. (default: :obj:`0.01`)

    Shapes:
        - **input:** ``[..., P]``
        - **output:** ``[..., 1]``
    """
    def __init__(self, in_channels: int, std: float = 0.01):
        super().__init__()
        self.std = std
        self.lins = torch.nn.ModuleList([
            torch.nn.Linear(in_channels, in_channels, bias=False),
            torch.nn.Linear(in_channels, in_channels, bias=False),
            torch.nn.Linear(in_channels, 1, bias=False)])
        self.reset_parameters()

    def reset_parameters(self):
        """Re-draws the three weights."""
        for lin in self.lins:
            torch.nn.init.normal_(lin.weight, 0., self.std)

    def forward(self, x: Tensor) -> Tensor:
        r"""The logits of the rows of ``x``."""
        x = F.relu(self.lins[0](x))
        x = F.relu(self.lins[1](x))
        return self.lins[2](x)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.lins[0].in_features})'


class ReleasedObjective(GSRObjective):
    r"""The released code's loss terms (GSR-Net ``train.py:30-35``, AGSR-Net
    ``train.py:29-61``): the target padded with a unit diagonal, its
    eigenvectors computed here from its upper triangle (as released),
    every term a plain mean squared error
    (:math:`\mathbf{W}` against each subject's eigenvectors). GSR-Net's
    release scores the cropped prediction, AGSR-Net's the padded one
    (``padded``; also what its discriminator judges)."""
    def __init__(self, padded: bool):
        self.padded = padded

    def __call__(self, model: Any, out: Any, hr_adj: Tensor,
                 hr_eigvecs: Optional[Tensor], validate: bool) -> LossTerms:
        r"""The terms of ``model``'s output ``out`` against ``hr_adj``
        ``[B, N_h, N_h]`` (``hr_eigvecs``, ``validate`` as in its loss)."""
        hr_adj = model.read_target(hr_adj, out.hr_adj, validate)
        target = set_diagonal(pad_hr(hr_adj, model.hr_padded))
        eigvecs = torch.linalg.eigh(target, UPLO='U').eigenvectors
        pred, scored = (out.padded_hr_adj, target) if self.padded else (out.hr_adj, hr_adj)
        term_hr = F.mse_loss(pred, scored)
        term_eig = F.mse_loss(model.gsr.weight.expand_as(eigvecs), eigvecs)
        assert out.z0 is not None
        term_rec = model.lambda_rec * F.mse_loss(out.z_lr, out.z0)
        return LossTerms(term_hr, term_eig, term_rec, pred, scored)
