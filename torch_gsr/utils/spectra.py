"""Eigenvectors GSR-Net needs: ``U0`` of the LR graph and ``U1`` of the padded HR graph.

Both are constants of a subject, so they are computed once (see
:class:`torch_gsr.transforms.AddSpectra`), read from the lower triangle. The
`paper` GSR-Net and AGSR-Net read ``U0`` from the upper triangle, as the
releases do, and compute it in their forward pass
(:func:`released_spectrum`): the cache holds the lower triangle's.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from .padding import pad_hr, padded_size


def normalize_adj(adj: Tensor) -> Tensor:
    r"""Symmetric degree normalisation :math:`D^{-1/2} A D^{-1/2}` of
    ``[..., N, N]`` (row sums as degrees, isolated nodes get 0), as the
    released GSR-Net code applies to the LR input before its eigendecomposition."""
    deg_inv_sqrt = adj.sum(dim=-1).pow(-0.5)
    deg_inv_sqrt = deg_inv_sqrt.masked_fill(torch.isinf(deg_inv_sqrt), 0.)
    return deg_inv_sqrt.unsqueeze(-1) * adj * deg_inv_sqrt.unsqueeze(-2)


def lr_eigvecs(lr_adj: Tensor, upper: bool = False) -> Tensor:
    r"""``U0`` ``[..., N_l, N_l]``: eigenvectors (columns, ascending eigenvalues)
    of the normalised LR adjacency ``lr_adj`` ``[..., N_l, N_l]``, read from
    its lower triangle, or with ``upper`` its upper one (as the released
    GSR-Net and AGSR-Net code does; the eigenvectors' signs may differ).

    Raises:
        ValueError: a node of negative weighted degree, whose
            :math:`D^{-1/2}` does not exist (signed correlations: take their
            absolute value first, as the paper does).
    """
    negative = (lr_adj.sum(dim=-1) < 0).flatten(0, -2).any(dim=-1) \
        if lr_adj.dim() > 2 else (lr_adj.sum(dim=-1) < 0).any().view(1)
    if bool(negative.any()):
        bad = int(negative.nonzero()[0])
        raise ValueError(f"lr_adj (subject index {bad}) has nodes of negative "
                         f"weighted degree: the normalised adjacency needs "
                         f"non-negative degrees (clean the connectomes, e.g. "
                         f"CleanConnectomes(negatives='abs'), on the command "
                         f"line --negatives abs)")
    return torch.linalg.eigh(normalize_adj(lr_adj), UPLO='U' if upper else 'L').eigenvectors


def spectra(lr_adj: Tensor, hr_adj: Optional[Tensor] = None, lr: bool = True
            ) -> Tuple[Optional[Tensor], Optional[Tensor]]:
    r"""``(lr_eigvecs, hr_eigvecs)`` of a batch in batched ``eigh`` calls:
    :func:`lr_eigvecs` of ``lr_adj`` ``[B, N_l, N_l]`` (``None`` unless
    ``lr``) and :func:`hr_eigvecs` of ``hr_adj`` ``[B, N_h, N_h]`` padded to
    ``padded_size(N_l, N_h)`` (``None`` without ``hr_adj``)."""
    lr_vecs = lr_eigvecs(lr_adj) if lr else None
    hr_vecs = None
    if hr_adj is not None:
        hr_vecs = hr_eigvecs(hr_adj, padded_size(lr_adj.size(-1), hr_adj.size(-1)))
    return lr_vecs, hr_vecs


def hr_eigvecs(hr_adj: Tensor, hr_padded: int) -> Tensor:
    r"""``U1`` ``[..., P, P]``: eigenvectors (columns, ascending eigenvalues) of
    the HR adjacency ``[..., N_h, N_h]`` zero-padded to ``P = hr_padded``, the
    target of the eigen-decomposition loss."""
    return torch.linalg.eigh(pad_hr(hr_adj, hr_padded)).eigenvectors


def no_spectrum(lr_adj: Tensor, given: Optional[Tensor]) -> None:
    r"""No ``U0``: the model is not ``spectral``."""
    return None


def given_spectrum(lr_adj: Tensor, given: Optional[Tensor]) -> Tensor:
    r"""``given`` (cached) ``U0``, else :func:`~torch_gsr.utils.lr_eigvecs`."""
    return lr_eigvecs(lr_adj) if given is None else given


def released_spectrum(lr_adj: Tensor, given: Optional[Tensor]) -> Tensor:
    r"""The released code's ``U0``: the upper triangle's eigenvectors."""
    return lr_eigvecs(lr_adj, upper=True)
