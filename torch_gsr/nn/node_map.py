r"""A learned map from LR regions to HR regions applied to a connectome."""
import torch
from torch import Tensor

from ..utils.validation import check_adjacency, check_int


class NodeMap(torch.nn.Module):
    r"""Super-resolves a connectome with a learned node map
    :math:`\mathbf{M} \in \mathbb{R}^{N_h \times N_l}`,

    .. math::
        \mathbf{X} = \mathbf{M} \mathbf{A}_l \mathbf{M}^\top,

    with :math:`\mathbf{M}` initialised uniform in :math:`[0, 2 / N_l)`.

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.

    Shapes:
        - **input:** LR matrices :math:`(B, N_l, N_l)` or :math:`(N_l, N_l)`
        - **output:** HR matrices :math:`(B, N_h, N_h)` or :math:`(N_h, N_h)`
    """
    def __init__(self, lr_nodes: int, hr_nodes: int):
        super().__init__()
        self.lr_nodes = check_int(lr_nodes, 'lr_nodes')
        self.hr_nodes = check_int(hr_nodes, 'hr_nodes')
        self.weight = torch.nn.Parameter(torch.empty(hr_nodes, lr_nodes))
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        torch.nn.init.uniform_(self.weight, 0., 2. / self.lr_nodes)

    def forward(self, lr_adj: Tensor) -> Tensor:
        r"""Maps LR matrices to the HR nodes.

        Args:
            lr_adj (Tensor): LR matrices (any symmetric matrices on the LR
                nodes, e.g. centred connectomes).
        """
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes,
                                 values=False)
        weight = self.weight.to(lr_adj.dtype)
        return weight @ lr_adj @ weight.T

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes})'
