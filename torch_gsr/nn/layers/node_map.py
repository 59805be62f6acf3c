r"""A learned map from LR regions to HR regions applied to a connectome."""
import torch
from torch import Tensor

from ...utils.validation import check_adjacency, check_int


class NodeMap(torch.nn.Module):
    r"""Super-resolves a connectome with a learned node map
    :math:`\mathbf{M} \in \mathbb{R}^{N_h \times N_l}`,

    .. math::
        \mathbf{X} = \mathbf{M} \mathbf{A}_l \mathbf{M}^\top,

    with :math:`\mathbf{M} = \mathbf{\Theta}`, or with ``softmax`` every HR
    node a scaled convex combination of the LR nodes (an HR region is made of
    shares of LR regions), row by row

    .. math::
        \mathbf{M}_{i} = s \, \mathrm{softmax}(N_l \mathbf{\Theta}_{i}),

    :math:`s` a learned scale starting at 1 and :math:`\mathbf{\Theta}`
    initialised uniform in :math:`[0, 2 / N_l)` (the factor :math:`N_l`
    lets the softmax sharpen at the pace a plain map changes).

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.
        softmax (bool): rows of :math:`\mathbf{M}` on the simplex.
            (default: :obj:`False`)

    Shapes:
        - **input:** LR matrices :math:`(B, N_l, N_l)` or :math:`(N_l, N_l)`
        - **output:** HR matrices :math:`(B, N_h, N_h)` or :math:`(N_h, N_h)`
    """
    def __init__(self, lr_nodes: int, hr_nodes: int, softmax: bool = False):
        super().__init__()
        self.lr_nodes = check_int(lr_nodes, 'lr_nodes')
        self.hr_nodes = check_int(hr_nodes, 'hr_nodes')
        self.softmax = bool(softmax)
        self.weight = torch.nn.Parameter(torch.empty(hr_nodes, lr_nodes))
        if self.softmax:
            self.scale = torch.nn.Parameter(torch.ones(()))
        else:
            self.register_parameter('scale', None)
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        torch.nn.init.uniform_(self.weight, 0., 2. / self.lr_nodes)
        if self.scale is not None:
            torch.nn.init.ones_(self.scale)

    def node_map(self) -> Tensor:
        r"""The map :math:`\mathbf{M}` ``[N_h, N_l]``."""
        if self.scale is None:
            return self.weight
        return self.scale * (self.lr_nodes * self.weight).softmax(dim=1)

    def forward(self, lr_adj: Tensor) -> Tensor:
        r"""Maps LR matrices to the HR nodes.

        Args:
            lr_adj (Tensor): LR matrices (any symmetric matrices on the LR
                nodes, e.g. centred connectomes).
        """
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes,
                                 values=False)
        weight = self.node_map().to(lr_adj.dtype)
        return weight @ lr_adj @ weight.T

    def __repr__(self) -> str:
        softmax = ', softmax=True' if self.softmax else ''
        return f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}{softmax})'
