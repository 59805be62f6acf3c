r"""Dense, batched graph measures of connectomes ``[B, N, N]`` in torch:
strength, degree centrality, clustering, eigenvector centrality, PageRank,
and the binarisation the binary measures use (sources: ``docs/metrics.md``)."""
import math

import torch
from torch import Tensor

from ..utils.validation import check_adjacency


def graph_weights(adj, name: str = 'adj') -> Tensor:
    r"""The undirected weighted graph every measure reads: the symmetric part
    of ``adj`` with negative weights clipped to 0 and no self-loops,

    .. math::
        w_{ij} = \max\big(0, (a_{ij} + a_{ji}) / 2\big), \quad w_{ii} = 0.

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` (or ``[N, N]``) connectomes.
        name (str): the argument's name in error messages.

    Returns:
        Tensor: ``[B, N, N]`` float64.
    """
    adj = check_adjacency(torch.as_tensor(adj).double(), name=name, symmetric=False)
    adj = ((adj + adj.transpose(-1, -2)) / 2).clamp_min(0)
    return adj - torch.diag_embed(torch.diagonal(adj, dim1=-2, dim2=-1))


def binarize(adj, density: float = 0.1) -> Tensor:
    r"""Proportional threshold: each subject's strongest ``density`` share of
    its :math:`E = N(N-1)/2` edges become 1, every other pair 0.

    Exactly :math:`k = \max(1, \mathrm{round}(\rho E))` edges are kept per
    subject (ties go to the earlier pair of the row-major upper triangle),
    fewer where fewer than :math:`k` weights are positive, so that every
    subject's binary graph has the same edge count.

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes (read through
            :func:`graph_weights`).
        density (float): the share :math:`\rho \in (0, 1]` of edges kept.
            (default: :obj:`0.1`)

    Returns:
        Tensor: ``[B, N, N]`` float64 of 0 and 1, symmetric, zero diagonal.
    """
    if isinstance(density, bool) or not isinstance(density, (int, float)) \
            or not 0 < density <= 1:
        raise ValueError(f"density must be a number in (0, 1], got {density!r}")
    weights = graph_weights(adj)
    num_nodes = weights.size(-1)
    row, col = torch.triu_indices(num_nodes, num_nodes, 1)
    edges = weights[:, row, col]
    keep = max(1, round(density * edges.size(1)))
    order = torch.sort(edges, dim=1, descending=True, stable=True).indices[:, :keep]
    kept = torch.zeros_like(edges).scatter_(1, order, 1.) * (edges > 0)
    out = torch.zeros_like(weights)
    out[:, row, col] = kept
    return out + out.transpose(-1, -2)


def node_strength(adj) -> Tensor:
    r"""Node strength, the weighted degree :math:`s_i = \sum_j w_{ij}`
    (Rubinov & Sporns, NeuroImage 2010) of :func:`graph_weights`.

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    return graph_weights(adj).sum(dim=-1)


def degree_centrality(adj) -> Tensor:
    r"""Degree centrality :math:`k_i / (N - 1)`, with :math:`k_i` the number
    of positive weights of node :math:`i` (``networkx.degree_centrality``,
    which the DEFEND release computes on its binary graphs).

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    weights = graph_weights(adj)
    return (weights > 0).sum(dim=-1).double() / max(weights.size(-1) - 1, 1)


def clustering_coefficient(adj) -> Tensor:
    r"""Weighted clustering coefficient of Onnela et al. (Phys. Rev. E 2005),
    as ``networkx.clustering(G, weight="weight")`` computes it:

    .. math::
        c_i = \frac{1}{k_i (k_i - 1)} \sum_{j, h}
        (\hat{w}_{ij} \hat{w}_{jh} \hat{w}_{hi})^{1/3}
        = \frac{[(\hat{\mathbf{W}}^{1/3})^3]_{ii}}{k_i (k_i - 1)},
        \qquad \hat{w}_{ij} = w_{ij} / \max_{uv} w_{uv},

    with :math:`k_i` the node's degree and :math:`c_i = 0` where
    :math:`k_i < 2`. On a binary graph (:func:`binarize`) it is the binary
    clustering coefficient, ``networkx.clustering(G)``, which the DEFEND
    release computes.

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    weights = graph_weights(adj)
    scale = weights.flatten(1).amax(dim=1).clamp_min(torch.finfo(weights.dtype).tiny)
    root = (weights / scale[:, None, None]).pow(1 / 3)
    triangles = ((root @ root) * root).sum(dim=-1)
    degree = (weights > 0).sum(dim=-1).double()
    pairs = degree * (degree - 1)
    return torch.where(pairs > 0, triangles / pairs.clamp_min(1), 0.)


def eigenvector_centrality(adj) -> Tensor:
    r"""Eigenvector centrality: the eigenvector :math:`\mathbf{x}` of the
    largest eigenvalue :math:`\lambda` of :math:`\mathbf{W}`,

    .. math::
        \mathbf{W} \mathbf{x} = \lambda \mathbf{x}, \qquad
        \lVert \mathbf{x} \rVert_2 = 1, \quad \textstyle\sum_i x_i \ge 0,

    (Bonacich 1972), from a batched symmetric eigensolver rather than
    networkx's power iteration, whose normalisation it shares (unit
    Euclidean norm). Unique on connected graphs (Perron-Frobenius); a graph
    without edges has none and gets ``nan``.

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    weights = graph_weights(adj)
    vector = torch.linalg.eigh(weights).eigenvectors[..., -1]
    sign = torch.where(vector.sum(dim=-1, keepdim=True) < 0, -1., 1.)
    empty = (weights.flatten(1) == 0).all(dim=1)
    return (vector * sign).masked_fill(empty[:, None], math.nan)


def pagerank(adj, alpha: float = 0.85) -> Tensor:
    r"""PageRank (Brin & Page 1998) of the weighted graph, as
    ``networkx.pagerank(G, alpha, weight="weight")`` defines it, solved
    exactly rather than by power iteration:

    .. math::
        \mathbf{p} = \alpha \mathbf{P}^\top \mathbf{p}
        + \frac{1 - \alpha}{N} \mathbf{1}, \qquad
        P_{ij} = w_{ij} / s_i,

    where a node without edges (:math:`s_i = 0`) links to every node with
    :math:`P_{ij} = 1/N`; :math:`\sum_i p_i = 1`.

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes.
        alpha (float): damping factor in ``(0, 1)``. (default: :obj:`0.85`)

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) \
            or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    weights = graph_weights(adj)
    num_nodes = weights.size(-1)
    strength = weights.sum(dim=-1, keepdim=True)
    transition = torch.where(strength > 0, weights / strength.clamp_min(1e-300),
                             1. / num_nodes)
    eye = torch.eye(num_nodes, dtype=weights.dtype)
    rhs = torch.full((weights.size(0), num_nodes, 1), (1 - alpha) / num_nodes,
                     dtype=weights.dtype)
    rank = torch.linalg.solve(eye - alpha * transition.transpose(-1, -2), rhs)
    rank = rank.squeeze(-1)
    return rank / rank.sum(dim=-1, keepdim=True)
