r"""The graph transformer operator on dense, weighted graphs."""
import math

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import TransformerConv
from torch_geometric.nn.dense.linear import Linear


def drop_key_bias(lin_key: Linear) -> Linear:
    r"""``lin_key`` without its bias. The bias adds
    :math:`\mathbf{q}_i^\top \mathbf{b}` to every attention logit of
    node :math:`i`, which the softmax over :math:`j` cancels: it never
    changes the output and never gets a gradient."""
    return Linear(lin_key.in_channels, lin_key.out_channels, bias=False)


class DenseTransformerConv(TransformerConv):
    r"""The graph transformer operator of Shi et al. (2021) on a batch of
    dense weighted graphs, a :class:`~torch_geometric.nn.TransformerConv`
    with ``edge_dim=1`` whose edges are the non-zero off-diagonal entries of
    ``adj`` (or all :math:`N^2` pairs, ``all_pairs``) and whose edge feature
    is the weight :math:`a_{ji}`:

    .. math::
        \mathbf{x}'_i = \mathbf{W}_1 \mathbf{x}_i + \sum_{j}
        \alpha_{ij} (\mathbf{W}_2 \mathbf{x}_j + a_{ji} \mathbf{u}),
        \qquad \alpha_{ij} = \mathrm{softmax}_j \left(
        \frac{(\mathbf{W}_3 \mathbf{x}_i)^\top (\mathbf{W}_4 \mathbf{x}_j +
        a_{ji} \mathbf{u})}{\sqrt{C}} \right)

    per head, with :math:`\mathbf{u}` the edge projection. Same parameters
    and numbers as :class:`~torch_geometric.nn.TransformerConv`, but no key
    bias (:func:`drop_key_bias`).

    Args:
        in_channels (int): node feature size.
        out_channels (int): output size :math:`C` per head.
        heads (int): attention heads (outputs concatenated).
            (default: :obj:`1`)
        dropout (float): dropout on the attention coefficients.
            (default: :obj:`0.`)
        all_pairs (bool): attend over every ordered pair, self-loops and
            zero weights included (STP-GSR's released initialiser).
            (default: :obj:`False`)

    Shapes:
        - **input:**
          node features :math:`(B, N, F_{in})`, adjacency :math:`(B, N, N)`
        - **output:** node features :math:`(B, N, H C)`
    """
    lin_key: Linear

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1,
                 dropout: float = 0., all_pairs: bool = False):
        super().__init__(in_channels, out_channels, heads=heads,
                         dropout=dropout, edge_dim=1)
        self.lin_key = drop_key_bias(self.lin_key)
        self.all_pairs = all_pairs

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        r"""Convolves ``x`` over every dense graph of the batch.

        Args:
            x (Tensor): node features.
            adj (Tensor): weighted adjacency.
        """
        heads, channels = self.heads, self.out_channels
        shape = x.shape[:2] + (heads, channels)
        # [B, H, N, C]
        query = self.lin_query(x).view(shape).transpose(1, 2)
        key = self.lin_key(x).view(shape).transpose(1, 2)
        value = self.lin_value(x).view(shape).transpose(1, 2)
        edge = self.lin_edge.weight.view(heads, channels)
        # weight[b, i, j] = a_{ji}, the feature of edge j -> i.
        weight = adj.transpose(-1, -2).unsqueeze(1)
        logits = (torch.matmul(query, key.transpose(-1, -2))
                  + weight * (query * edge.unsqueeze(1)).sum(-1, keepdim=True))
        logits = logits / math.sqrt(channels)
        if self.all_pairs:
            alpha = torch.softmax(logits, dim=-1)
        else:
            eye = torch.eye(adj.size(-1), dtype=torch.bool, device=adj.device)
            is_edge = (weight != 0) & ~eye
            logits = logits.masked_fill(~is_edge, torch.finfo(logits.dtype).min)
            # A node without incoming edges gets no message (as in PyG).
            alpha = torch.softmax(logits, dim=-1) * is_edge
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        out = (torch.matmul(alpha, value)
               + (alpha * weight).sum(-1, keepdim=True) * edge.unsqueeze(1))
        return out.transpose(1, 2).flatten(2) + self.lin_skip(x)
