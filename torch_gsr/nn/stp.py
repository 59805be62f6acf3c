r"""STP-GSR (Singh & Rekik, "Strongly Topology-Preserving GNNs for Brain
Graph Super-Resolution", PRIME-MICCAI 2024): edge regression as node
regression on the dual (line) graph of the HR graph."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GraphNorm

from ..presets import DEFAULT_PRESET
from ..utils.matrix import set_diagonal
from .dense_transformer_conv import DenseTransformerConv
from .line_graph import LineGraphTransformerConv, edges_to_matrix, matrix_to_edges, num_dual_nodes
from .models import GSRLoss, GSRModel, GSROutput


def graph_norm(norm: GraphNorm, x: Tensor) -> Tensor:
    r""":class:`~torch_geometric.nn.GraphNorm` over the nodes of each graph
    of a dense batch ``x`` ``[B, N, F]``."""
    batch = torch.arange(x.size(0), device=x.device).repeat_interleave(x.size(1))
    return norm(x.flatten(0, 1), batch, batch_size=x.size(0)).view_as(x)


def min_max(x: Tensor) -> Tensor:
    r"""Rescales each graph of ``x`` ``[B, ...]`` to ``[0, 1]``."""
    flat = x.flatten(1)
    low = flat.amin(dim=1).view((-1,) + (1,) * (x.dim() - 1))
    high = flat.amax(dim=1).view_as(low)
    return (x - low) / (high - low + 1e-8)


class GramInitializer(torch.nn.Module):
    r"""STP-GSR's super-resolution step: the initial HR adjacency
    :math:`\tilde{\mathbf{A}}_h = \mathrm{minmax}(\mathbf{Z}^\top
    \mathbf{Z})` of an LR embedding :math:`\mathbf{Z}` ``[B, N, N_h]``,
    with the interface of :class:`GSRLayer` (``product`` then ``graph``;
    ``lr_eigvecs`` unused), so :meth:`GSRModel.forward` runs STP-GSR."""
    def forward(self, z_lr: Tensor, lr_eigvecs: Optional[Tensor] = None):
        r"""The initial HR adjacency :math:`\mathrm{minmax}(\mathbf{Z}^\top \mathbf{Z})`, twice."""
        return self.graph(self.product(z_lr, lr_eigvecs))

    def product(self, z_lr: Tensor, lr_eigvecs: Optional[Tensor] = None) -> Tensor:
        r""":math:`\mathbf{Z}^\top \mathbf{Z}`, ``[B, N_h, N_h]``."""
        return torch.matmul(z_lr.transpose(-1, -2), z_lr)

    def graph(self, product: Tensor):
        r"""The min-max rescaled ``product``, as adjacency and features."""
        a_hr = min_max(product)
        return a_hr, a_hr


class STPGSR(GSRModel):
    r"""STP-GSR (Singh & Rekik, 2024). Each of the :math:`E = N_h(N_h-1)/2`
    edges of the (complete) HR graph is a node of its dual graph, and the
    HR edge weights are regressed as dual node features:

    1. **Target-edge initialiser.** A graph transformer
       (:class:`DenseTransformerConv`, ``init_heads`` heads, edge weights as
       edge features) embeds the LR graph, node features its adjacency
       rows, into :math:`\mathbf{Z} \in \mathbb{R}^{N \times N_h}`; after
       :class:`~torch_geometric.nn.GraphNorm` and ReLU,
       :math:`\tilde{\mathbf{A}}_h = \mathrm{minmax}(\mathbf{Z}^\top
       \mathbf{Z})` initialises every HR edge, i.e. every dual node.
    2. **Dual graph learner.** :class:`LineGraphTransformerConv` layers
       (widths ``1 -> *dual_channels -> 1``, each with GraphNorm and ReLU)
       pass messages between dual nodes that share an HR node; the output,
       min-max scaled to :math:`[0, 1]`, is each HR edge's weight.
    3. The weights fill a symmetric HR matrix with unit diagonal.

    :meth:`GSRModel.forward` runs it (input checks, post-processing):
    :meth:`encode` is the initialiser's LR embedding, ``gsr`` its Gram step
    (:class:`GramInitializer`) and :meth:`decode` the dual graph learner;
    ``lr_eigvecs`` are accepted and unused. The output's ``a_hr`` (``=
    x_hr``) is the initial HR adjacency, ``z_lr`` the LR embedding
    ``[B, N, N_h]``.

    The dual graph is never built per subject: ``structured=False`` runs
    sparse message passing on one cached ``edge_index`` shared by all
    batches; ``structured=True`` computes the same numbers from the dual
    graph's structure (see :class:`LineGraphTransformerConv`).

    No padding: the prediction is ``[B, N_h, N_h]`` (``hr_padded ==
    hr_nodes``). The loss is the paper's mean absolute error over the HR
    edges (``hr``; ``eig`` and ``rec`` are zero).

    Args:
        lr_nodes (int): ``N``.
        hr_nodes (int): ``N_h >= 3``.
        preset (str): where the defaults come from.
        init_heads (int): attention heads of the initialiser, each
            :math:`\lceil N_h / \text{heads} \rceil` wide; their
            concatenation is cut to :math:`N_h` features when ``N_h`` is
            not a multiple (the paper requires one).
        dual_channels (sequence of int): hidden widths of the dual graph
            learner (``()``: one layer, ``1 -> 1``, the paper).
        dropout (float): attention dropout of every layer.
        structured (bool): structured (``True``) or sparse (``False``)
            message passing on the dual graph; the same numbers.
    """
    option_family = 'stp'
    spectral = False

    def __init__(self, lr_nodes: int, hr_nodes: int,
                 preset: str = DEFAULT_PRESET, **options):
        super().__init__(lr_nodes, hr_nodes, None, None, preset, **options)

    def _build(self, init_heads: int,  # type: ignore[override]
               dual_channels: Sequence[int], dropout: float, structured: bool):
        # Each model family builds from its own preset table.
        if self.hr_nodes < 3:
            raise ValueError(f"STPGSR needs hr_nodes >= 3 (the dual graph of "
                             f"K_2 has no edges), got {self.hr_nodes}")
        if isinstance(init_heads, bool) or not isinstance(init_heads, int) \
                or not 1 <= init_heads <= self.hr_nodes:
            raise ValueError(f"init_heads must be an int in [1, hr_nodes = "
                             f"{self.hr_nodes}], got {init_heads!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.config['dual_channels'] = tuple(dual_channels)
        self.hr_padded = self.hr_nodes
        self.init_conv = DenseTransformerConv(
            self.lr_nodes, -(-self.hr_nodes // init_heads), heads=init_heads,
            dropout=dropout)
        self.init_norm = GraphNorm(self.hr_nodes)
        # Plays the GSR layer's part in GSRModel.forward.
        self.gsr = GramInitializer()  # type: ignore[assignment]
        widths = [1, *dual_channels, 1]
        self.dual_convs = torch.nn.ModuleList(
            LineGraphTransformerConv(c_in, c_out, dropout=dropout,
                                     structured=structured)
            for c_in, c_out in zip(widths[:-1], widths[1:], strict=True))
        self.dual_norms = torch.nn.ModuleList(GraphNorm(c) for c in widths[1:])

    def reset_parameters(self):
        """Re-initialises the initialiser and the dual graph learner."""
        for module in (self.init_conv, self.init_norm, *self.dual_convs,
                       *self.dual_norms):
            module.reset_parameters()

    def encode(self, lr_adj: Tensor):
        r"""The target-edge initialiser's LR embedding :math:`\mathbf{Z}`
        ``[B, N, N_h]`` of ``[B, N, N]`` LR connectomes, as ``(None, Z)``
        (no :math:`\mathbf{Z}_0`)."""
        z = self.init_conv(lr_adj, lr_adj)[..., :self.hr_nodes]
        return None, F.relu(graph_norm(self.init_norm, z))

    def decode(self, a_hr: Tensor, x_hr: Tensor) -> Tensor:
        r"""The dual graph learner: the initial HR adjacency ``a_hr``
        ``[B, N_h, N_h]`` (its upper triangle: the dual node features) to
        the predicted HR connectomes ``[B, N_h, N_h]``, edges in
        :math:`[0, 1]`, unit diagonal."""
        x = matrix_to_edges(a_hr.unsqueeze(-1))
        for conv, norm in zip(self.dual_convs, self.dual_norms, strict=True):
            x = F.relu(graph_norm(norm, conv(x, self.hr_nodes)))
        return set_diagonal(edges_to_matrix(min_max(x), self.hr_nodes).squeeze(-1))

    def loss(self, out: GSROutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r"""The paper's L1 loss over HR edges (upper triangle) as ``hr``
        (and ``total``); ``eig`` and ``rec`` are zero.

        Args:
            out (GSROutput): this model's output for the batch.
            hr_adj (Tensor): ``[B, N_h, N_h]`` targets.
            hr_eigvecs (Tensor, optional): accepted and unused.
            validate (bool): check that ``hr_adj`` is finite and symmetric.
        """
        hr_adj = self.read_target(hr_adj, out.hr_adj, validate)
        term_hr = F.l1_loss(matrix_to_edges(out.hr_adj), matrix_to_edges(hr_adj))
        zero = term_hr.new_zeros(())
        return GSRLoss(term_hr, term_hr, zero, zero)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'dual_nodes={num_dual_nodes(self.hr_nodes)}, '
                f'structured={self.dual_convs[0].structured})')
