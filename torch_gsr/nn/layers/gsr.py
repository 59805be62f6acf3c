"""The graph super-resolution layer of GSR-Net (paper, section 2.2)."""
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Parameter

from ...utils.matrix import set_diagonal, symmetrize
from ...utils.padding import padded_size, upscale_factor
from ...utils.spectra import normalize_adj
from ...utils.validation import check_sizes


class GSRLayer(torch.nn.Module):
    r"""The graph super-resolution layer of GSR-Net (paper, section 2.2):
    an LR graph of :math:`N` nodes to one of :math:`P = K N` nodes,
    :math:`K = \lceil N_h / N \rceil`,

    .. math::
        \tilde{\mathbf{A}}_h = \mathcal{N}\big(|\mathbf{W} \mathbf{S}_d
        \mathbf{U}_0^\top \mathbf{Z}_l|\big), \qquad
        \tilde{\mathbf{X}}_h = \tilde{\mathbf{A}}_h \tilde{\mathbf{A}}_h^\top,

    with :math:`\mathbf{W} \in \mathbb{R}^{P \times P}` trainable,
    :math:`\mathbf{S}_d = [\mathbf{I}_N, \dots, \mathbf{I}_N]^\top`,
    :math:`\mathbf{U}_0` the LR eigenvectors, and :math:`\mathcal{N}`
    symmetrisation, a unit diagonal and (with ``normalize``) degree
    normalisation; :math:`\tilde{\mathbf{X}}_h` is symmetrised with a unit
    diagonal. :meth:`forward` is :meth:`product` then :meth:`graph`.

    Args:
        lr_nodes (int): :math:`N`.
        hr_nodes (int): :math:`N_h`; the output has :math:`P \geq N_h` nodes
            (crop with :func:`torch_gsr.utils.unpad_hr`).
        normalize (bool): degree-normalise :math:`\tilde{\mathbf{A}}_h`.
            (default: :obj:`True`)

    Shapes:
        - **input:**
          LR embeddings :math:`\mathbf{Z}_l` :math:`(B, N, P)`,
          LR eigenvectors :math:`(B, N, N)` or :obj:`None` (identity)
        - **output:** :math:`\tilde{\mathbf{A}}_h` and
          :math:`\tilde{\mathbf{X}}_h`, both :math:`(B, P, P)`
    """
    def __init__(self, lr_nodes: int, hr_nodes: int, normalize: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.lr_nodes = lr_nodes
        self.hr_nodes = hr_nodes
        self.normalize = normalize
        self.factor = upscale_factor(lr_nodes, hr_nodes)
        self.hr_padded = padded_size(lr_nodes, hr_nodes)
        self.weight = Parameter(torch.empty(self.hr_padded, self.hr_padded))
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        torch.nn.init.xavier_uniform_(self.weight)

    def forward(self, z_lr: Tensor, lr_eigvecs: Optional[Tensor]
                ) -> Tuple[Tensor, Tensor]:
        r"""Super-resolves the LR embeddings.

        Args:
            z_lr (Tensor): LR node embeddings :math:`\mathbf{Z}_l`.
            lr_eigvecs (Tensor, optional): eigenvectors :math:`\mathbf{U}_0`
                (columns), e.g. from :func:`torch_gsr.utils.lr_eigvecs`;
                :obj:`None` for the identity (node basis).
        """
        return self.graph(self.product(z_lr, lr_eigvecs))

    def product(self, z_lr: Tensor, lr_eigvecs: Optional[Tensor]) -> Tensor:
        r"""The signed :math:`\mathbf{W} \mathbf{S}_d \mathbf{U}_0^\top
        \mathbf{Z}_l`, ``[B, P, P]``, before any post-processing (arguments
        as in :meth:`forward`)."""
        weight_sd = self.weight.view(self.hr_padded, self.factor,
                                     self.lr_nodes).sum(dim=1)
        if lr_eigvecs is not None:
            z_lr = torch.matmul(lr_eigvecs.transpose(-1, -2), z_lr)
        return torch.matmul(weight_sd, z_lr)

    def graph(self, product: Tensor) -> Tuple[Tensor, Tensor]:
        r"""Post-processes :meth:`product`'s ``[B, P, P]`` output into
        :math:`\tilde{\mathbf{A}}_h` and :math:`\tilde{\mathbf{X}}_h`:
        absolute value, symmetrisation, unit diagonal, degree normalisation
        (with ``normalize``), then :math:`\tilde{\mathbf{A}}_h
        \tilde{\mathbf{A}}_h^\top` symmetrised with a unit diagonal."""
        a_hr = set_diagonal(symmetrize(product.abs()))
        if self.normalize:
            a_hr = normalize_adj(a_hr)
        x_hr = torch.matmul(a_hr, a_hr.transpose(-1, -2))
        return a_hr, set_diagonal(symmetrize(x_hr))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'hr_padded={self.hr_padded})')
