"""The graph super-resolution layer of GSR-Net (paper, section 2.2)."""
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Parameter

from ..utils.matrix import set_diagonal, symmetrize
from ..utils.padding import padded_size, upscale_factor
from ..utils.spectra import normalize_adj
from ..utils.validation import check_sizes


class GSRLayer(torch.nn.Module):
    r"""Super-resolves an LR graph of ``N`` nodes into a graph of
    :math:`P = K N` nodes, :math:`K = \lceil N_h / N \rceil`:

    .. math::
        \tilde{\mathbf{A}}_h = \mathbf{W} \mathbf{S}_d \mathbf{U}_0^\top
        \mathbf{Z}_l, \qquad
        \tilde{\mathbf{X}}_h = \tilde{\mathbf{A}}_h \tilde{\mathbf{A}}_h^\top,

    with :math:`\mathbf{W} \in \mathbb{R}^{P \times P}` trainable (pulled
    towards the HR eigenvectors by the eigen loss), :math:`\mathbf{S}_d =
    [\mathbf{I}_N, \dots, \mathbf{I}_N]^\top` (``K`` stacked identities) and
    :math:`\mathbf{U}_0` the eigenvectors of the LR graph.

    :math:`\mathbf{S}_d` is never built: :math:`\mathbf{W}\mathbf{S}_d` sums
    the ``K`` column blocks of :math:`\mathbf{W}`, a ``[P, N]`` matrix, which
    also saves a factor ``K`` of the FLOPs of the first product.

    Post-processing, as in the released code, with the paper's symmetrisation:

    1. :math:`\tilde{\mathbf{A}}_h \gets |\tilde{\mathbf{A}}_h|`
       (connectomes are absolute correlations);
    2. symmetrise, :math:`(\tilde{\mathbf{A}}_h + \tilde{\mathbf{A}}_h^\top)/2`;
    3. unit diagonal (every region is fully correlated with itself);
    4. degree normalisation :math:`D^{-1/2}\tilde{\mathbf{A}}_h D^{-1/2}`,
       which keeps :math:`\tilde{\mathbf{X}}_h` bounded;
    5. :math:`\tilde{\mathbf{X}}_h = \tilde{\mathbf{A}}_h \tilde{\mathbf{A}}_h^\top`,
       symmetrised against rounding, with a unit diagonal (it is already
       non-negative, so the released code's absolute value is a no-op).

    :meth:`forward` is :meth:`product` (the signed
    :math:`\mathbf{W}\mathbf{S}_d\mathbf{U}_0^\top\mathbf{Z}_l`) followed
    by :meth:`graph` (steps 1-5); GSR models with ``mean_residual`` also use
    the signed product as a skip connection to their prediction.

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h``; the layer outputs ``P = K N >= N_h`` nodes
            (crop with :func:`torch_gsr.utils.unpad_hr`).
        normalize (bool): apply step 4. Without it the output keeps the
            overall connectivity scale of its input, which the normalisation
            removes. (default: :obj:`True`, released code)
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
        r"""Re-initialises :math:`\mathbf{W}` (Xavier uniform)."""
        torch.nn.init.xavier_uniform_(self.weight)

    def forward(self, z_lr: Tensor, lr_eigvecs: Optional[Tensor]
                ) -> Tuple[Tensor, Tensor]:
        r"""Super-resolves the LR embeddings.

        Args:
            z_lr (Tensor): ``[B, N, P]`` LR node embeddings :math:`\mathbf{Z}_l`.
            lr_eigvecs (Tensor, optional): ``[B, N, N]`` eigenvectors
                :math:`\mathbf{U}_0` (columns), e.g. from
                :func:`torch_gsr.utils.lr_eigvecs`; ``None`` replaces
                :math:`\mathbf{U}_0` by the identity (node basis).

        Returns:
            (Tensor, Tensor): :math:`\tilde{\mathbf{A}}_h` and
            :math:`\tilde{\mathbf{X}}_h`, both ``[B, P, P]``.
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
        r"""Post-processes :meth:`product`'s ``[B, P, P]`` output (steps 1-5
        above) into :math:`\tilde{\mathbf{A}}_h` and
        :math:`\tilde{\mathbf{X}}_h`."""
        a_hr = set_diagonal(symmetrize(product.abs()))
        if self.normalize:
            a_hr = normalize_adj(a_hr)
        x_hr = torch.matmul(a_hr, a_hr.transpose(-1, -2))
        return a_hr, set_diagonal(symmetrize(x_hr))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'hr_padded={self.hr_padded})')
