"""Eigenvectors GSR-Net needs: ``U0`` of the LR graph and ``U1`` of the padded HR graph.

Both are constants of a subject, so they are computed once (see
:class:`torch_gsr.transforms.AddSpectra`) and never inside a training step.
"""
import torch
from torch import Tensor

from .padding import pad_hr


def normalize_adj(adj: Tensor) -> Tensor:
    r"""Symmetric degree normalisation :math:`D^{-1/2} A D^{-1/2}` of
    ``[..., N, N]`` (row sums as degrees, isolated nodes get 0), as the
    released GSR-Net code applies to the LR input before its eigendecomposition."""
    deg_inv_sqrt = adj.sum(dim=-1).pow(-0.5)
    deg_inv_sqrt = deg_inv_sqrt.masked_fill(torch.isinf(deg_inv_sqrt), 0.)
    return deg_inv_sqrt.unsqueeze(-1) * adj * deg_inv_sqrt.unsqueeze(-2)


def lr_eigvecs(lr_adj: Tensor) -> Tensor:
    r"""``U0`` ``[..., N_l, N_l]``: eigenvectors (columns, ascending eigenvalues)
    of the normalised LR adjacency ``lr_adj`` ``[..., N_l, N_l]``."""
    return torch.linalg.eigh(normalize_adj(lr_adj)).eigenvectors


def hr_eigvecs(hr_adj: Tensor, hr_padded: int) -> Tensor:
    r"""``U1`` ``[..., P, P]``: eigenvectors (columns, ascending eigenvalues) of
    the HR adjacency ``[..., N_h, N_h]`` zero-padded to ``P = hr_padded``, the
    target of the eigen-decomposition loss."""
    return torch.linalg.eigh(pad_hr(hr_adj, hr_padded)).eigenvectors
