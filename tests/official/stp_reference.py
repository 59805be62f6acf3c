r"""Independent re-implementation of the released STP-GSR model and loss
(basiralab/STP-GSR at 239abd9, ``src/models/stp_gsr.py``,
``src/dual_graph_utils.py``, ``src/dataset.py``, ``src/train.py``), written
from a reading of it for the equivalence tests: one unbatched subject, plain
torch (no PyG), every weight in a dict, attention over explicit dense masks.

Weight names: the initialiser's ``init.query|key|value|skip.weight/bias``,
``init.edge.weight`` (``[H C, 1]``, no bias), ``init.norm.weight|bias|
mean_scale``; the dual learner's ``dual.query|key|value|skip.weight/bias``
and ``dual.norm.*``.
"""
import math
from typing import Dict

import torch
import torch.nn.functional as F
from torch import Tensor

Weights = Dict[str, Tensor]


def lin(w: Weights, name: str, x: Tensor) -> Tensor:
    return x @ w[name + '.weight'].t() + w[name + '.bias']


def attention(w: Weights, prefix: str, x: Tensor, mask: Tensor, heads: int,
              edge_attr: Tensor = None) -> Tensor:
    r"""PyG's ``TransformerConv`` (concat, root weight, no beta) as dense
    algebra: node ``i`` attends over the ``j`` with ``mask[i, j]`` (edge
    ``j -> i``); ``edge_attr[i, j]`` is that edge's scalar feature, added
    through ``edge.weight`` to the key and the value. Eval mode (the 0.2
    attention dropout of both layers is off)."""
    n = x.size(0)
    q = lin(w, prefix + '.query', x).view(n, heads, -1)
    k = lin(w, prefix + '.key', x).view(n, heads, -1)
    v = lin(w, prefix + '.value', x).view(n, heads, -1)
    c = q.size(-1)
    # [H, i, j]
    k_ij = k.permute(1, 0, 2).unsqueeze(1).expand(heads, n, n, c)
    v_ij = v.permute(1, 0, 2).unsqueeze(1).expand(heads, n, n, c)
    if edge_attr is not None:
        e = w[prefix + '.edge.weight'].view(heads, c)
        extra = edge_attr.unsqueeze(0).unsqueeze(-1) * e.view(heads, 1, 1, c)
        k_ij, v_ij = k_ij + extra, v_ij + extra
    logits = (q.permute(1, 0, 2).unsqueeze(2) * k_ij).sum(-1) / math.sqrt(c)
    logits = logits.masked_fill(~mask, float('-inf'))
    alpha = torch.softmax(logits, dim=-1)
    alpha = torch.nan_to_num(alpha) * mask
    out = (alpha.unsqueeze(-1) * v_ij).sum(2)  # [H, n, C]
    return out.permute(1, 0, 2).reshape(n, heads * c) + lin(w, prefix + '.skip', x)


def graph_norm(w: Weights, prefix: str, x: Tensor, eps: float = 1e-5) -> Tensor:
    # PyG GraphNorm over all nodes of one graph (batch=None).
    out = x - x.mean(0, keepdim=True) * w[prefix + '.mean_scale']
    std = (out.pow(2).mean(0, keepdim=True) + eps).sqrt()
    return w[prefix + '.weight'] * out / std + w[prefix + '.bias']


def min_max(x: Tensor) -> Tensor:
    # stp_gsr.py:33-35 and 64-66: over the whole tensor, epsilon 1e-8.
    return (x - x.min()) / (x.max() - x.min() + 1e-8)


def upper(mat: Tensor) -> Tensor:
    n = mat.size(0)
    row, col = torch.triu_indices(n, n, offset=1)
    return mat[row, col]


def initializer(w: Weights, lr_adj: Tensor, heads: int) -> Tensor:
    r"""stp_gsr.py:21-41 with dataset.py:211-246's input: node features are
    the LR adjacency rows, the edges **all** ``N^2`` ordered pairs (self-loops
    and zero weights included, dataset.py:243-244), edge ``j -> i`` carrying
    ``A[j, i]`` (dataset.py:217). Returns the ``[E, 1]`` dual features
    (upper triangle of ``minmax(Z^T Z)``)."""
    n = lr_adj.size(0)
    mask = torch.ones(1, n, n, dtype=torch.bool)
    z = attention(w, 'init', lr_adj, mask, heads, edge_attr=lr_adj.t())
    z = F.relu(graph_norm(w, 'init.norm', z))
    return upper(min_max(z.t() @ z)).unsqueeze(-1)


def dual_mask(hr_nodes: int) -> Tensor:
    r"""dual_graph_utils.py:5-41 on the complete graph (stp_gsr.py:94-95):
    dual nodes = upper-triangle pairs, joined when they share a node, no
    self-loops."""
    row, col = torch.triu_indices(hr_nodes, hr_nodes, offset=1)
    inc = torch.zeros(row.numel(), hr_nodes)
    inc[torch.arange(row.numel()), row] = 1.
    inc[torch.arange(row.numel()), col] = 1.
    shared = inc @ inc.t()
    shared.fill_diagonal_(0.)
    return (shared > 0).unsqueeze(0)


def dual_learner(w: Weights, x: Tensor, hr_nodes: int) -> Tensor:
    r"""stp_gsr.py:44-68: a 1-channel, 1-head transformer on the dual graph,
    GraphNorm, ReLU, min-max."""
    x = attention(w, 'dual', x, dual_mask(hr_nodes), heads=1)
    return min_max(F.relu(graph_norm(w, 'dual.norm', x)))


def forward(w: Weights, lr_adj: Tensor, hr_nodes: int, heads: int = 4) -> Tensor:
    r"""stp_gsr.py:98-107: the ``[E, 1]`` predicted HR edge weights (upper
    triangle, ``torch.triu_indices`` order)."""
    return dual_learner(w, initializer(w, lr_adj, heads), hr_nodes)


def loss(pred: Tensor, hr_adj: Tensor) -> Tensor:
    r"""train.py:75 and 105-109: L1 (mean) between the predicted and target
    upper triangles (dual_graph_utils.py:57-70)."""
    return F.l1_loss(pred, upper(hr_adj).unsqueeze(-1))


def train(w: Weights, lr_adj: Tensor, hr_adj: Tensor, hr_nodes: int, learning_rate: float,
          epochs: int, accumulate: int, order: torch.Generator,
          frozen: tuple = ()) -> Weights:
    r"""train.py:64-135: one Adam; every epoch a new permutation of the
    subjects (train.py:90-92; drawn here from ``order``, the release draws
    from torch's global generator); per subject ``loss(...).backward()``,
    a step after every ``accumulate`` subjects and after the last
    (train.py:111-135). The weights named in ``frozen`` do not train.
    Returns the trained weights."""
    params = {name: value.detach().clone().requires_grad_(name not in frozen)
              for name, value in w.items()}
    opt = torch.optim.Adam([p for p in params.values() if p.requires_grad],
                           lr=learning_rate)
    for _ in range(epochs):
        index = torch.randperm(lr_adj.size(0), generator=order)
        opt.zero_grad()
        for count, i in enumerate(index.tolist(), start=1):
            loss(forward(params, lr_adj[i], hr_nodes), hr_adj[i]).backward()
            if count % accumulate == 0 or count == len(index):
                opt.step()
                opt.zero_grad()
    return {name: value.detach() for name, value in params.items()}
