r"""Independent re-implementation of the released DirectSR model and loss
(basiralab/STP-GSR at 239abd9, ``src/models/direct_sr.py``,
``src/dataset.py``, ``src/train.py``), written from a reading of it for the
equivalence tests: one unbatched subject, plain torch, the attention and
GraphNorm of :mod:`stp_reference`.

Weight names: ``conv1|conv2.query|key|value|skip.weight/bias``,
``conv1|conv2.edge.weight`` (no bias), ``norm1|norm2.weight|bias|mean_scale``.
"""
import torch.nn.functional as F
from torch import Tensor

from .stp_reference import Weights, attention, graph_norm, min_max


def embedding(w: Weights, lr_adj: Tensor, heads: int) -> Tensor:
    r"""direct_sr.py:30-39: two transformers over all ``N^2`` ordered LR pairs
    (dataset.py:243-244; edge ``j -> i`` carries ``A[j, i]``,
    dataset.py:217), each followed by GraphNorm and ReLU; ``[N, N_h]``."""
    n = lr_adj.size(0)
    mask = lr_adj.new_ones(1, n, n, dtype=bool)
    h = attention(w, 'conv1', lr_adj, mask, heads, edge_attr=lr_adj.t())
    h = F.relu(graph_norm(w, 'norm1', h))
    z = attention(w, 'conv2', h, mask, heads, edge_attr=lr_adj.t())
    return F.relu(graph_norm(w, 'norm2', z))


def forward(w: Weights, lr_adj: Tensor, heads: int = 4) -> Tensor:
    r"""direct_sr.py:41-49: min-max of ``Z^T Z`` over the whole ``[N_h, N_h]``
    matrix, diagonal included."""
    z = embedding(w, lr_adj, heads)
    return min_max(z.t() @ z)


def loss(pred: Tensor, hr_adj: Tensor) -> Tensor:
    r"""train.py:75, 107-109: L1 (mean) over every entry of the matrix."""
    return (pred - hr_adj).abs().mean()
