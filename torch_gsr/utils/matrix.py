"""Elementwise helpers on batches of square matrices ``[..., N, N]``."""
from torch import Tensor


def symmetrize(adj: Tensor) -> Tensor:
    r""":math:`(\mathbf{A} + \mathbf{A}^\top) / 2` over the last two dims."""
    return (adj + adj.transpose(-1, -2)).div_(2)


def set_diagonal(adj: Tensor, value: float = 1.) -> Tensor:
    """Returns ``adj`` ``[..., N, N]`` with ``value`` on the diagonal (out of
    place)."""
    return adj.diagonal_scatter(adj.new_full(adj.shape[:-1], value),
                                dim1=-2, dim2=-1)
