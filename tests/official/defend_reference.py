r"""Independent re-implementation of the released Bi-SR node initialisers and
DEFEND forward (basiralab/DEFEND at 5f9aef6, ``models/bi_sr.py``,
``models/dual_sr.py``, ``data/utils.py``), written from a reading of it for
the equivalence tests: one unbatched subject, plain torch (no PyG), every
weight in a dict, attention over explicit dense masks (the dense algebra of
``stp_reference``).

Weight names: the LR transformer's ``lr.query|key|value|skip.weight/bias``,
``lr.edge.weight`` and ``lr.norm.weight|bias|mean_scale``; ``bi.weight/bias``
(``bi_lc``'s linear map) or ``bi.query|key|value|skip.*`` and ``bi.norm.*``
(``bi_mp``'s bipartite transformer) with ``hr_embeddings`` ``[N_h, F]``;
``refine.*`` and ``refine.norm.*`` (``refine_target``); the dual learner's
``dual.*`` and ``dual.norm.*``.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

from .stp_reference import Weights, attention, dual_learner, graph_norm, lin, min_max, upper


def all_pairs(n: int) -> Tensor:
    return torch.ones(1, n, n, dtype=torch.bool)


def lr_embedding(w: Weights, lr_adj: Tensor, heads: int) -> Tensor:
    r"""bi_sr.py:76-79 (and 190-193, 342-345) on data/utils.py:15-55's
    input: node features are the LR adjacency rows, the edges all ``N^2``
    ordered pairs, edge ``i -> j`` carrying ``A[i, j]``; GraphNorm, ReLU."""
    n = lr_adj.size(0)
    z = attention(w, 'lr', lr_adj, all_pairs(n), heads, edge_attr=lr_adj.t())
    return F.relu(graph_norm(w, 'lr.norm', z))


def bipartite_attention(w: Weights, z: Tensor, heads: int) -> Tensor:
    r"""bi_sr.py:284-296: a transformer on the joint graph of the ``n_s``
    LR and ``n_t`` HR nodes whose edges run from every LR node to every HR
    node; GraphNorm over all ``n_s + n_t`` nodes, ReLU, the HR rows."""
    n_s, n_t = z.size(0), w['hr_embeddings'].size(0)
    joint = torch.cat([z, w['hr_embeddings']])
    mask = torch.zeros(1, n_s + n_t, n_s + n_t, dtype=torch.bool)
    mask[:, n_s:, :n_s] = True  # target (row) attends over sources
    out = attention(w, 'bi', joint, mask, heads)
    return F.relu(graph_norm(w, 'bi.norm', out))[n_s:]


def hr_nodes_of(w: Weights, method: str, lr_adj: Tensor, heads: int,
                refine: bool) -> Tensor:
    r"""The HR node embeddings ``X`` whose Gram matrix is the initial HR
    adjacency: ``Z^T`` (bi_sr.py:87-88), ``bipartitie_fc(Z^T)^T``
    (bi_sr.py:147-148) or the bipartite attention's; then the refinement
    over all HR pairs without edge features (bi_sr.py:151-155, 299-303)."""
    z = lr_embedding(w, lr_adj, heads)
    if method == 'linear_algebraic':
        return z.t()
    x = lin(w, 'bi', z.t()).t() if method == 'bi_lc' else bipartite_attention(w, z, heads)
    if refine:
        x = attention(w, 'refine', x, all_pairs(x.size(0)), heads)
        x = F.relu(graph_norm(w, 'refine.norm', x))
    return x


def scale(x: Tensor, min_max_scale: bool, binarize: bool) -> Tensor:
    r"""bi_sr.py:90-100 (dual_sr.py:65-75): min-max over the whole tensor,
    then a z-score (unbiased std) into a sigmoid."""
    if min_max_scale:
        x = min_max(x)
    if binarize:
        x = torch.sigmoid((x - x.mean()) / x.std())
    return x


def bi_sr(w: Weights, method: str, lr_adj: Tensor, heads: int = 4, refine: bool = False,
          min_max_scale: bool = True, binarize: bool = False) -> Tensor:
    r"""A released Bi-SR model's ``[N_h, N_h]`` output (diagonal included)."""
    x = hr_nodes_of(w, method, lr_adj, heads, refine)
    return scale(x @ x.t(), min_max_scale, binarize)


def defend(w: Weights, method: str, lr_adj: Tensor, heads: int = 4, refine: bool = False,
           binarize: bool = False) -> Tensor:
    r"""dual_sr.py:9-113: the released DEFEND's ``[E, 1]`` HR edges (upper
    triangle): Bi-SR without ``binarize`` (dual_sr.py:23-25), then the
    1 -> 1 dual learner with min-max and, with ``binarize``, the z-score
    and sigmoid."""
    edges = bi_sr(w, method, lr_adj, heads, refine, binarize=False)
    x = dual_learner(w, upper(edges).unsqueeze(-1), edges.size(0))
    return scale(x, False, binarize)


def bi_sr_loss(pred: Tensor, hr_adj: Tensor) -> Tensor:
    r"""runs/brain/main.py:79, 128-131: L1 (mean) over the whole matrix;
    the release's HR matrices have a zero diagonal (data/connectomes.py:22-24)."""
    return F.l1_loss(pred, hr_adj - torch.diag(hr_adj.diagonal()))
