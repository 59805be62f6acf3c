r"""The graph transformer operator on the complete bipartite graph from
source to target nodes, batched."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import TransformerConv
from torch_geometric.nn.dense.linear import Linear

from .dense_transformer_conv import drop_key_bias


class BipartiteTransformerConv(TransformerConv):
    r"""The graph transformer operator of Shi et al. (2021) on the complete
    bipartite graph whose every source node sends to every target node
    (Bi-SR's message-passing initialiser):

    .. math::
        \mathbf{x}'_t = \mathbf{W}_1 \mathbf{x}_t + \sum_{s}
        \alpha_{ts} \mathbf{W}_2 \mathbf{x}_s, \qquad
        \alpha_{ts} = \mathrm{softmax}_s \left(
        \frac{(\mathbf{W}_3 \mathbf{x}_t)^\top (\mathbf{W}_4 \mathbf{x}_s)}
        {\sqrt{C}} \right)

    per head. A source node receives nothing: its output in that graph is
    its root term :math:`\mathbf{W}_1 \mathbf{x}_s` (``lin_skip``). Same
    parameters and numbers as :class:`~torch_geometric.nn.TransformerConv`
    without edge features or :math:`\beta`, but no key bias
    (:func:`~torch_gsr.nn.conv.dense_transformer_conv.drop_key_bias`).

    Args:
        in_channels (int): node feature size (both sides).
        out_channels (int): output size :math:`C` per head.
        heads (int): attention heads (outputs concatenated).
            (default: :obj:`1`)
        dropout (float): dropout on the attention coefficients.
            (default: :obj:`0.`)

    Shapes:
        - **input:** source features :math:`(B, S, F_{in})`, target
          features :math:`(B, T, F_{in})` or :math:`(T, F_{in})` (shared)
        - **output:** target features :math:`(B, T, H C)`
    """
    lin_key: Linear

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1,
                 dropout: float = 0.):
        super().__init__(in_channels, out_channels, heads=heads, dropout=dropout)
        self.lin_key = drop_key_bias(self.lin_key)

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        r"""Sends every source node's message to every target node.

        Args:
            source (Tensor): source node features.
            target (Tensor): target node features.
        """
        if target.dim() == 2:
            target = target.expand(source.size(0), -1, -1)
        heads, channels = self.heads, self.out_channels
        # [B, H, T or S, C]
        query = self.lin_query(target).unflatten(-1, (heads, channels)).transpose(1, 2)
        key = self.lin_key(source).unflatten(-1, (heads, channels)).transpose(1, 2)
        value = self.lin_value(source).unflatten(-1, (heads, channels)).transpose(1, 2)
        logits = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(channels)
        alpha = F.dropout(torch.softmax(logits, dim=-1), p=self.dropout,
                          training=self.training)
        out = torch.matmul(alpha, value).transpose(1, 2).flatten(2)
        return out + self.lin_skip(target)
