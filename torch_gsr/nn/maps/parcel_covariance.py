r"""The HR functional connectome a Wishart model expects given the LR one,
when every LR region's series is a weighted mean of HR regions' series."""
from typing import Optional

import torch
from torch import Tensor

from ...utils.matrix import symmetrize
from ...utils.validation import check_adjacency
from .ridge import RidgeMap


class ParcelCovarianceMap(torch.nn.Module):
    r"""The conditional expectation of a window's HR correlation matrix
    given its LR one, when the LR series are known weighted means of the HR
    series, :math:`\mathbf{x}^{(l)} = \mathbf{M}^\top \mathbf{x}^{(h)}`
    (a parcellation that merges regions, or atlas overlaps):

    .. math::
        \mathbf{C} = \boldsymbol{\Sigma} + \mathbf{G} (\mathbf{D}
        \mathbf{R}^{(l)} \mathbf{D} - \mathbf{M}^\top \boldsymbol{\Sigma}
        \mathbf{M}) \mathbf{G}^\top, \qquad
        \mathbf{G} = \boldsymbol{\Sigma} \mathbf{M}
        (\mathbf{M}^\top \boldsymbol{\Sigma} \mathbf{M})^{-1},

    the expected HR sample covariance given the LR one when the standardised
    HR series' sample covariance is Wishart with mean
    :math:`\boldsymbol{\Sigma}`, the training-mean HR connectome (unit
    diagonal). :math:`\mathbf{D}^2 = \operatorname{diag}(\mathbf{M}^\top
    \boldsymbol{\Sigma} \mathbf{M})` puts the LR correlations
    :math:`\mathbf{R}^{(l)}` back on that scale. The output is
    :math:`\mathbf{C}` as a correlation matrix (its absolute value with
    ``absolute``), with the training-mean HR diagonal, plus, with
    ``residual_ridge``, a :class:`RidgeMap` fitted to its training
    residuals (what windows do that a Wishart model does not).

    Args:
        parcels (Tensor): :math:`\mathbf{M}`: ``[N_h]`` integers, each HR
            region's LR region (numbered ``0 .. N_l - 1``, none empty), or
            ``[N_h, N_l]`` non-negative weights (each LR region's column is
            scaled to sum to 1).
        absolute (bool, optional): predict :math:`|\mathbf{C}|` (for
            ``|Pearson|`` connectomes). (default: :obj:`None`, when no
            training HR edge is negative)
        residual_ridge (bool): add ridge regression of the residuals.
            (default: :obj:`True`)

    Shapes:
        - **input:** LR connectomes :math:`(B, N_l, N_l)`
        - **output:** HR connectomes :math:`(B, N_h, N_h)`
    """
    weights: Tensor  # [N_h, N_l] M, columns summing to 1
    hr_mean: Tensor  # [N_h, N_h] Sigma
    gain: Tensor  # [N_h, N_l] G
    lr_mean: Tensor  # [N_l, N_l] M^T Sigma M
    hr_diagonal: Tensor  # [N_h]
    absolute_: Tensor  # [] bool, as fitted

    def __init__(self, parcels: Tensor, absolute: Optional[bool] = None,
                 residual_ridge: bool = True):
        super().__init__()
        weights = _parcel_weights(parcels)
        self.hr_nodes, self.lr_nodes = weights.shape
        self.absolute = absolute
        self.ridge = RidgeMap(self.lr_nodes, self.hr_nodes) if residual_ridge else None
        self.register_buffer('weights', weights)
        for name, shape in (('hr_mean', (self.hr_nodes, self.hr_nodes)),
                            ('gain', tuple(weights.shape)),
                            ('lr_mean', (self.lr_nodes, self.lr_nodes)),
                            ('hr_diagonal', (self.hr_nodes,))):
            self.register_buffer(name, torch.zeros(shape))
        self.register_buffer('absolute_', torch.tensor(False))

    def reset_parameters(self):
        r"""Forgets the training data: the prediction is zero again."""
        for buffer in (self.hr_mean, self.gain, self.lr_mean, self.hr_diagonal):
            buffer.zero_()
        self.absolute_.fill_(False)
        if self.ridge is not None:
            self.ridge.reset_parameters()

    @torch.no_grad()
    def fit(self, lr_adj: Tensor, hr_adj: Tensor, seed: int = 0,
            groups: Optional[Tensor] = None) -> 'ParcelCovarianceMap':
        r"""Sets :math:`\boldsymbol{\Sigma}` to the mean of the training HR
        connectomes ``hr_adj`` ``[S, N_h, N_h]`` (float64 on the CPU; stored
        in this module's dtype and on its device) and fits the residual
        ridge on ``lr_adj`` ``[S, N_l, N_l]`` (``seed`` and ``groups``: its
        folds, as :meth:`RidgeMap.fit`)."""
        check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes)
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes)
        hr_adj = hr_adj.detach().cpu().double()
        sigma = hr_adj.mean(0)
        self.hr_diagonal.copy_(sigma.diagonal())
        sigma.fill_diagonal_(1.)
        weights = self.weights.cpu().double()
        lr_mean = weights.T @ sigma @ weights
        try:
            gain = torch.linalg.solve(lr_mean, weights.T @ sigma).T
        except RuntimeError as error:  # torch's message names no cause
            raise ValueError("the parcels' mean LR covariance M^T Sigma M is "
                             "singular: two LR regions have the same HR "
                             "weights, or the training data are degenerate") from error
        self.hr_mean.copy_(sigma)
        self.gain.copy_(gain)
        self.lr_mean.copy_(lr_mean)
        self.absolute_.fill_(bool((hr_adj >= 0).all()) if self.absolute is None
                             else self.absolute)
        if self.ridge is not None:
            residual = hr_adj - self.expected(lr_adj).double().cpu()
            self.ridge.fit(lr_adj, residual, seed, groups)
        return self

    def covariance(self, lr_adj: Tensor) -> Tensor:
        r""":math:`\mathbf{C}` ``[B, N_h, N_h]`` (float32 or the buffers'
        dtype) for LR connectomes ``lr_adj`` ``[B, N_l, N_l]``."""
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes)
        scale = self.lr_mean.diagonal().clamp_min(0).sqrt()
        lr_cov = scale[:, None] * lr_adj.to(self.lr_mean) * scale
        lr_cov.diagonal(dim1=-2, dim2=-1).copy_(self.lr_mean.diagonal())
        cov = self.hr_mean + self.gain @ (lr_cov - self.lr_mean) @ self.gain.T
        return symmetrize(cov)  # the products round the two triangles apart

    def forward(self, lr_adj: Tensor) -> Tensor:
        r"""Predicts HR connectomes from ``lr_adj`` ``[B, N_l, N_l]``, in its
        dtype."""
        hr_adj = self.expected(lr_adj)
        return hr_adj if self.ridge is None else hr_adj + self.ridge(lr_adj)

    def expected(self, lr_adj: Tensor) -> Tensor:
        r""":math:`\mathbf{C}` as a correlation matrix ``[B, N_h, N_h]``
        (without the residual ridge), in ``lr_adj``'s dtype."""
        cov = self.covariance(lr_adj)
        # A covariance with a non-positive variance (far outside the
        # training data) is clamped rather than turned into NaNs.
        std = cov.diagonal(dim1=-2, dim2=-1).clamp_min(1e-12).sqrt()
        hr_adj = cov / (std[..., :, None] * std[..., None, :])
        hr_adj = hr_adj.abs() if bool(self.absolute_) else hr_adj
        hr_adj.diagonal(dim1=-2, dim2=-1).copy_(self.hr_diagonal.expand_as(std))
        return hr_adj.to(lr_adj.dtype)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes})'


def _parcel_weights(parcels: Tensor) -> Tensor:
    r"""``[N_h, N_l]`` weights with columns summing to 1 from ``parcels``."""
    if not isinstance(parcels, Tensor):
        parcels = torch.as_tensor(parcels)
    if parcels.dim() == 1 and not parcels.is_floating_point():
        if parcels.numel() == 0 or parcels.min() < 0:
            raise ValueError("parcels must number the LR regions 0 .. N_l - 1")
        parcels = torch.nn.functional.one_hot(parcels.long()).double()
    if parcels.dim() != 2 or not parcels.is_floating_point():
        raise TypeError(f"parcels must be [N_h] integers or [N_h, N_l] weights, "
                        f"got {parcels.dtype} of shape {list(parcels.shape)}")
    parcels = parcels.double()
    totals = parcels.sum(0)
    if not torch.isfinite(parcels).all() or (parcels < 0).any() or (totals <= 0).any():
        empty = (totals <= 0).nonzero().flatten().tolist()[:5]
        raise ValueError(f"parcels must be finite, non-negative weights and give "
                         f"every LR region some weight (empty LR regions: {empty})")
    return (parcels / totals).float()
