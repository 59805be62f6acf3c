"""Isotropic padding of HR connectomes (paper, section 2.3).

The GSR layer produces a graph of ``K * lr_nodes`` nodes with
``K = ceil(hr_nodes / lr_nodes)``. When ``hr_nodes`` is not a multiple of
``lr_nodes`` (268 from 160), the HR target is padded with zero rows and
columns on both sides up to that size, and the prediction is cropped back.
"""
import math

import torch.nn.functional as F
from torch import Tensor


def upscale_factor(lr_nodes: int, hr_nodes: int) -> int:
    """The paper's ``K``: how many stacked identities ``S_d`` holds."""
    return math.ceil(hr_nodes / lr_nodes)


def padded_size(lr_nodes: int, hr_nodes: int) -> int:
    """Size ``K * lr_nodes`` of the graph the GSR layer predicts."""
    return upscale_factor(lr_nodes, hr_nodes) * lr_nodes


def _margins(hr_nodes: int, hr_padded: int):
    before = (hr_padded - hr_nodes) // 2
    return before, hr_padded - hr_nodes - before


def pad_hr(hr_adj: Tensor, hr_padded: int) -> Tensor:
    r"""Zero-pads ``[..., N_h, N_h]`` to ``[..., hr_padded, hr_padded]``,
    centred (the odd extra row, if any, goes last)."""
    before, after = _margins(hr_adj.size(-1), hr_padded)
    return F.pad(hr_adj, (before, after, before, after))


def unpad_hr(adj: Tensor, hr_nodes: int) -> Tensor:
    r"""Inverse of :func:`pad_hr`: crops ``[..., P, P]`` to the centred
    ``[..., hr_nodes, hr_nodes]`` block (a view, no copy)."""
    before, _ = _margins(hr_nodes, adj.size(-1))
    return adj[..., before:before + hr_nodes, before:before + hr_nodes]
