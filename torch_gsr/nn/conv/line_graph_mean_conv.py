r"""Mean aggregation on the line graph of the complete graph."""
import torch
from torch import Tensor

from .line_graph_conv import edges_to_matrix, matrix_to_edges, num_dual_nodes


class LineGraphMeanConv(torch.nn.Module):
    r"""A graph convolution with mean aggregation on the line graph of
    :math:`K_n` (dual node :math:`\{i, j\}` has the :math:`2(n-2)`
    neighbours :math:`\{i, k\}`, :math:`\{j, k\}`):

    .. math::
        \mathbf{x}'_{ij} = \mathbf{W}_1 \mathbf{x}_{ij} + \mathbf{W}_2
        \frac{1}{2(n-2)} \sum_{k \notin \{i, j\}} (\mathbf{x}_{ik} +
        \mathbf{x}_{jk}) + \mathbf{b}.

    The neighbour sum is two row sums of the dual features laid out as a
    symmetric matrix, so a layer costs ``O(B n^2 C)`` instead of the
    ``O(B n^3 C)`` of message passing over the line graph's edges.

    Args:
        in_channels (int): dual node feature size.
        out_channels (int): output size.

    Shapes:
        - **input:** ``[B, n(n-1)/2, in_channels]`` (``triu_indices`` order)
        - **output:** ``[B, n(n-1)/2, out_channels]``
    """
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.lin_self = torch.nn.Linear(in_channels, out_channels)
        self.lin_neighbours = torch.nn.Linear(in_channels, out_channels, bias=False)

    def reset_parameters(self):
        """Re-initialises both weights and the bias."""
        self.lin_self.reset_parameters()
        self.lin_neighbours.reset_parameters()

    def forward(self, x: Tensor, num_nodes: int) -> Tensor:
        r"""``x``: ``[B, E, C]`` features of the :math:`E = n(n-1)/2` dual
        nodes; ``num_nodes``: :math:`n \geq 3`."""
        if x.dim() != 3 or x.size(1) != num_dual_nodes(num_nodes) or num_nodes < 3:
            raise ValueError(f"x must have shape [B, {num_dual_nodes(num_nodes)}, "
                             f"F] for the line graph of K_{num_nodes} (n >= 3), "
                             f"got {list(x.shape)}")
        mat = edges_to_matrix(x, num_nodes)            # [B, n, n, C], zero diagonal
        rows = mat.sum(dim=2)                           # [B, n, C]
        total = rows.unsqueeze(2) + rows.unsqueeze(1) - 2 * mat
        mean = matrix_to_edges(total) / (2 * (num_nodes - 2))
        return self.lin_self(x) + self.lin_neighbours(mean)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels})')
