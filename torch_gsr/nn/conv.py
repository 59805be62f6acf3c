"""Graph convolution on dense, weighted connectomes."""
from typing import Optional

import torch
from torch import Tensor
from torch_geometric.nn import DenseGCNConv
from torch_geometric.nn.dense.linear import Linear


def gcn_norm_dense(adj: Tensor) -> Tensor:
    r"""The propagation matrix :math:`\hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2}` of
    :class:`~torch_geometric.nn.DenseGCNConv`, for reuse across layers.

    :math:`\hat{A}` is ``adj`` with its diagonal set to one (a self-loop of
    weight 1 replaces whatever the connectome holds on its diagonal, which is
    exactly what :class:`~torch_geometric.nn.GCNConv` does on the sparse view
    with self-loops removed), and degrees are clamped to at least one.

    Args:
        adj (Tensor): ``[B, N, N]`` weighted adjacency.

    Returns:
        Tensor: ``[B, N, N]``.
    """
    # The unit diagonal enters the degrees and the result directly, so
    # ``adj`` is never copied to overwrite its diagonal.
    diag = adj.diagonal(dim1=-2, dim2=-1)
    deg_inv_sqrt = (adj.sum(dim=-1) - diag + 1.).clamp(min=1).pow(-0.5)
    prop = deg_inv_sqrt.unsqueeze(-1) * adj * deg_inv_sqrt.unsqueeze(-2)
    prop.diagonal(dim1=-2, dim2=-1).copy_(deg_inv_sqrt * deg_inv_sqrt)
    return prop


class ConnectomeGCNConv(DenseGCNConv):
    r"""The graph convolution of Kipf & Welling on weighted connectomes,

    .. math::
        \mathbf{Z} = \hat{D}^{-1/2} \hat{A} \hat{D}^{-1/2} \mathbf{X} \mathbf{W}
        + \mathbf{b} \; \Big[ + \mathbf{X} \mathbf{W}_{root} \Big],

    a :class:`~torch_geometric.nn.DenseGCNConv` (same parameters, same
    numbers without ``root_weight``) with three additions GSR-Net needs:

    * ``x=None`` stands for identity node features :math:`\mathbf{I}_N` (the
      paper's featureless connectome), so :math:`\mathbf{I}_N \mathbf{W} =
      \mathbf{W}` is read off instead of multiplied out;
    * ``normalized=True`` takes a propagation matrix already computed by
      :func:`gcn_norm_dense`, so layers that share a graph normalise it once;
    * ``root_weight=True`` adds each node's own features through a separate
      weight :math:`\mathbf{W}_{root}` (the root term of
      :class:`~torch_geometric.nn.GraphConv`). On dense, nearly uniform
      connectomes the normalised propagation is close to an average over
      all nodes, so without it every node's output becomes alike and
      subject-specific, node-specific structure is lost.

    :class:`~torch_gsr.nn.SparseConnectomeGCNConv` is the same layer (same
    parameters, same numbers) by message passing on ``edge_index``.

    Args:
        in_channels (int): input feature size (``N`` when ``x`` is ``None``).
        out_channels (int): output feature size.
        bias (bool): learn an additive bias. (default: :obj:`True`)
        root_weight (bool): add :math:`\mathbf{X} \mathbf{W}_{root}`.
            (default: :obj:`False`)
    """
    def __init__(self, in_channels: int, out_channels: int, bias: bool = True,
                 root_weight: bool = False):
        super().__init__(in_channels, out_channels, improved=False, bias=bias)
        self.lin_root = (Linear(in_channels, out_channels, bias=False,
                                weight_initializer='glorot')
                         if root_weight else None)
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialises the weights and the bias."""
        super().reset_parameters()
        # DenseGCNConv's constructor resets before ``lin_root`` exists.
        if getattr(self, 'lin_root', None) is not None:
            self.lin_root.reset_parameters()

    def forward(self, x: Optional[Tensor], adj: Tensor,
                mask: Optional[Tensor] = None,
                normalized: bool = False) -> Tensor:
        r"""Convolves ``x`` over every graph of the batch.

        Args:
            x (Tensor, optional): ``[B, N, F_in]`` node features, or ``None``
                for identity features (then ``F_in == N``).
            adj (Tensor): ``[B, N, N]`` adjacency, or its propagation matrix
                when ``normalized`` is set.
            mask (Tensor, optional): ``[B, N]`` boolean, ``False`` for padding
                nodes, whose outputs are zeroed (as in
                :class:`~torch_geometric.nn.DenseGCNConv`).
            normalized (bool): ``adj`` is already :func:`gcn_norm_dense`'d.

        Returns:
            Tensor: ``[B, N, F_out]``.
        """
        out = self._propagate(x, adj if normalized else gcn_norm_dense(adj))
        if self.lin_root is not None:
            out = out + (self.lin_root.weight.t() if x is None
                         else self.lin_root(x))
        if mask is not None:
            out = out * mask.unsqueeze(-1).to(out.dtype)
        return out

    def _propagate(self, x: Optional[Tensor], adj: Tensor) -> Tensor:
        if x is None:
            if adj.size(-1) != self.in_channels:
                raise ValueError(f"identity features need {self.in_channels} "
                                 f"nodes, got adjacency {list(adj.shape)}")
            out = self.lin.weight.t()
        else:
            out = self.lin(x)
        if self.bias is None:
            return torch.matmul(adj, out)
        # One fused kernel for the product and the bias.
        if adj.dim() == 2:
            return torch.addmm(self.bias, adj, out)
        return torch.baddbmm(self.bias, adj, out.expand(adj.size(0), -1, -1)
                             if out.dim() == 2 else out)

    def __repr__(self) -> str:
        root = ', root_weight=True' if self.lin_root is not None else ''
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}{root})')
