"""Graph convolution on dense, weighted connectomes."""
from typing import Optional

import torch
from torch import Tensor
from torch_geometric.nn import DenseGCNConv
from torch_geometric.nn.dense.linear import Linear


def gcn_norm_dense(adj: Tensor, improved: bool = False,
                   add_loop: bool = True) -> Tensor:
    r"""The propagation matrix :math:`\hat{\mathbf{D}}^{-1/2} \hat{\mathbf{A}}
    \hat{\mathbf{D}}^{-1/2}` of :class:`~torch_geometric.nn.DenseGCNConv`,
    for reuse across layers.

    With ``add_loop``, :math:`\hat{\mathbf{A}}` is ``adj`` with its diagonal
    set to one (two if ``improved``); otherwise ``adj`` as given. Degrees
    :math:`\hat{D}_{ii} = \sum_j \hat{A}_{ij}` are clamped to at least one.

    Args:
        adj (Tensor): ``[B, N, N]`` or ``[N, N]`` weighted adjacency.
        improved (bool): self-loops of weight two. (default: :obj:`False`)
        add_loop (bool): replace the diagonal by self-loops.
            (default: :obj:`True`)

    Returns:
        Tensor: the shape of ``adj``.
    """
    if not add_loop:
        deg_inv_sqrt = adj.sum(dim=-1).clamp(min=1).pow(-0.5)
        return deg_inv_sqrt.unsqueeze(-1) * adj * deg_inv_sqrt.unsqueeze(-2)
    fill = 2. if improved else 1.
    # The diagonal enters the degrees and the result directly, so ``adj`` is
    # never copied to overwrite its diagonal.
    diag = adj.diagonal(dim1=-2, dim2=-1)
    deg_inv_sqrt = (adj.sum(dim=-1) - diag + fill).clamp(min=1).pow(-0.5)
    prop = deg_inv_sqrt.unsqueeze(-1) * adj * deg_inv_sqrt.unsqueeze(-2)
    prop.diagonal(dim1=-2, dim2=-1).copy_(fill * deg_inv_sqrt * deg_inv_sqrt)
    return prop


class ConnectomeGCNConv(DenseGCNConv):
    r"""The graph convolution of Kipf & Welling on dense weighted connectomes,

    .. math::
        \mathbf{X}^{\prime} = \hat{\mathbf{D}}^{-1/2} \hat{\mathbf{A}}
        \hat{\mathbf{D}}^{-1/2} \mathbf{X} \mathbf{\Theta} + \mathbf{b}
        \; \Big[ + \mathbf{X} \mathbf{\Theta}_{root} \Big],

    a :class:`~torch_geometric.nn.DenseGCNConv` (same parameters and numbers
    without ``root_weight``) that also takes ``x=None`` for identity node
    features :math:`\mathbf{I}_N` and a propagation matrix already made by
    :func:`gcn_norm_dense` (``normalized=True``).

    Args:
        in_channels (int): input feature size (``N`` when ``x`` is ``None``).
        out_channels (int): output feature size.
        improved (bool): self-loops of weight two. (default: :obj:`False`)
        bias (bool): learn an additive bias. (default: :obj:`True`)
        root_weight (bool): add :math:`\mathbf{X} \mathbf{\Theta}_{root}`.
            (default: :obj:`False`)

    Shapes:
        - **input:**
          node features :math:`(B, N, F_{in})`, :math:`(N, F_{in})` or
          :obj:`None`, adjacency :math:`(B, N, N)` or :math:`(N, N)` (one
          graph for the batch), mask :math:`(B, N)` or :math:`(N)` (optional)
        - **output:** node features :math:`(B, N, F_{out})`;
          :math:`(N, F_{out})` when neither input has a batch dimension
    """
    def __init__(self, in_channels: int, out_channels: int,
                 improved: bool = False, bias: bool = True,
                 root_weight: bool = False):
        super().__init__(in_channels, out_channels, improved=improved, bias=bias)
        self.lin_root = (Linear(in_channels, out_channels, bias=False,
                                weight_initializer='glorot')
                         if root_weight else None)
        self.reset_parameters()

    def reset_parameters(self):
        r"""Resets all learnable parameters of the module."""
        super().reset_parameters()
        # DenseGCNConv's constructor resets before ``lin_root`` exists.
        if getattr(self, 'lin_root', None) is not None:
            self.lin_root.reset_parameters()

    def forward(self, x: Optional[Tensor], adj: Tensor,
                mask: Optional[Tensor] = None, add_loop: bool = True,
                normalized: bool = False) -> Tensor:
        r"""Convolves ``x`` over every graph of the batch.

        Args:
            x (Tensor, optional): node features, or :obj:`None` for identity
                features (then ``in_channels == N``).
            adj (Tensor): adjacency, broadcast over the batch when
                ``[N, N]``; its propagation matrix when ``normalized``.
            mask (Tensor, optional): ``False`` for padding nodes, whose
                outputs are zeroed. (default: :obj:`None`)
            add_loop (bool): replace the diagonal of ``adj`` by self-loops.
                (default: :obj:`True`)
            normalized (bool): ``adj`` is already :func:`gcn_norm_dense`'d
                (``add_loop`` and ``improved`` then do nothing).
                (default: :obj:`False`)
        """
        self._check_shapes(x, adj)
        if not normalized:
            adj = gcn_norm_dense(adj, self.improved, add_loop)
        out = self._propagate(x, adj)
        if self.lin_root is not None:
            out = out + (self.lin_root.weight.t() if x is None
                         else self.lin_root(x))
        if mask is not None:
            out = out * mask.unsqueeze(-1).to(out.dtype)
        return out

    def _check_shapes(self, x: Optional[Tensor], adj: Tensor) -> None:
        if adj.dim() not in (2, 3) or adj.size(-1) != adj.size(-2):
            raise ValueError(f"adj must be [B, N, N] or [N, N], got "
                             f"{list(adj.shape)}")
        if x is None:
            if adj.size(-1) != self.in_channels:
                raise ValueError(f"identity features need {self.in_channels} "
                                 f"nodes, got adjacency {list(adj.shape)}")
            return
        if x.dim() not in (2, 3) or x.size(-2) != adj.size(-1):
            raise ValueError(f"x must be [B, N, F] or [N, F] with N = "
                             f"{adj.size(-1)} (adj {list(adj.shape)}), got "
                             f"{list(x.shape)}")
        if (x.dim() == 3 and adj.dim() == 3 and x.size(0) != adj.size(0)
                and 1 not in (x.size(0), adj.size(0))):
            raise ValueError(f"batch sizes of x {list(x.shape)} and adj "
                             f"{list(adj.shape)} differ")

    def _propagate(self, x: Optional[Tensor], adj: Tensor) -> Tensor:
        # I W = W: identity features are read off, never multiplied out.
        out = self.lin.weight.t() if x is None else self.lin(x)
        if self.bias is None:
            return torch.matmul(adj, out)
        # One fused kernel for the product and the bias.
        if adj.dim() == 2 and out.dim() == 2:
            return torch.addmm(self.bias, adj, out)
        adj = adj.unsqueeze(0) if adj.dim() == 2 else adj
        out = out.unsqueeze(0) if out.dim() == 2 else out
        batch_size = max(adj.size(0), out.size(0))
        return torch.baddbmm(self.bias, adj.expand(batch_size, -1, -1),
                             out.expand(batch_size, -1, -1))

    def __repr__(self) -> str:
        root = ', root_weight=True' if self.lin_root is not None else ''
        improved = ', improved=True' if self.improved else ''
        return (f'{self.__class__.__name__}({self.in_channels}, '
                f'{self.out_channels}{improved}{root})')
