r"""Graph measures that need path searches or community detection, one
subject at a time (networkx, scipy): betweenness centrality, Louvain
partitions, the participation coefficient and small-worldness (sources:
``docs/metrics.md``)."""
import random

import networkx as nx
import numpy as np
import scipy.sparse.csgraph
import torch
import torch.nn.functional as F
from torch import Tensor

from ..utils.validation import check_int
from .graph_measures import clustering_coefficient, graph_weights

DISTANCES = ('weight', 'inverse', 'hops')


def _graph(weights: np.ndarray, distance: str) -> nx.Graph:
    graph = nx.from_numpy_array(weights, edge_attr='weight')
    for _, _, data in graph.edges(data=True):
        data['length'] = {'weight': data['weight'], 'inverse': 1 / data['weight'],
                          'hops': 1.}[distance]
    return graph


def betweenness_centrality(adj, distance: str = 'weight') -> Tensor:
    r"""Betweenness centrality (Freeman 1977), normalised as networkx does
    for undirected graphs:

    .. math::
        b_i = \frac{2}{(N-1)(N-2)} \sum_{s \ne i \ne t}
        \frac{\sigma_{st}(i)}{\sigma_{st}},

    with :math:`\sigma_{st}` the number of shortest paths from :math:`s` to
    :math:`t` and :math:`\sigma_{st}(i)` those through :math:`i`
    (``networkx.betweenness_centrality``, one subject at a time).

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes
            (:func:`~torch_gsr.metrics.graph_measures.graph_weights`).
        distance (str): an edge's length: ``"weight"`` the weight itself, as
            the challenge's code and :func:`centrality_errors` (strong
            edges are long); ``"inverse"`` :math:`1 / w_{ij}` (the usual
            reading of connection strengths); ``"hops"`` 1 per edge, as the
            DEFEND release on its binary graphs. (default: :obj:`"weight"`)

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    if distance not in DISTANCES:
        raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")
    weights = graph_weights(adj).numpy()
    out = np.zeros(weights.shape[:2])
    for index, subject in enumerate(weights):
        values = nx.betweenness_centrality(_graph(subject, distance), weight='length')
        out[index] = [values[node] for node in range(subject.shape[0])]
    return torch.from_numpy(out)


def louvain_partition(adj, seed: int = 0, resolution: float = 1.0) -> Tensor:
    r"""Louvain communities (Blondel et al. 2008) of each weighted graph,
    maximising the modularity
    :math:`Q = \frac{1}{2m} \sum_{ij} (w_{ij} - \gamma s_i s_j / 2m)
    \delta(g_i, g_j)` (``networkx.community.louvain_communities``, seeded,
    so deterministic).

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes.
        seed (int): subject ``b``'s Louvain visits the nodes in an order
            seeded with ``seed + b``. (default: :obj:`0`)
        resolution (float): :math:`\gamma`. (default: :obj:`1.0`)

    Returns:
        Tensor: ``[B, N]`` int64 module labels, numbered by their lowest node.
    """
    check_int(seed, 'seed', 0)
    weights = graph_weights(adj).numpy()
    labels = torch.zeros(weights.shape[:2], dtype=torch.long)
    for index, subject in enumerate(weights):
        graph = nx.from_numpy_array(subject, edge_attr='weight')
        modules = nx.community.louvain_communities(
            graph, weight='weight', resolution=resolution, seed=seed + index)
        for label, module in enumerate(sorted(modules, key=min)):
            labels[index, sorted(module)] = label
    return labels


def participation_coefficient(adj, partition=None, seed: int = 0,
                              own_module_only: bool = False) -> Tensor:
    r"""Participation coefficient of Guimerà & Amaral (Nature 2005): how
    evenly a node's connections spread over the modules :math:`m`,

    .. math::
        P_i = 1 - \sum_m \Big(\frac{s_{im}}{s_i}\Big)^2, \qquad
        s_{im} = \sum_{j \in m} w_{ij},

    and :math:`P_i = 0` for a node without edges. On a binary graph
    (:func:`~torch_gsr.metrics.graph_measures.binarize`) :math:`s` are
    degrees, the DEFEND release's "degree mode".

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes.
        partition (Tensor or ndarray, optional): ``[N]`` or ``[B, N]``
            integer module labels (default: :func:`louvain_partition` of
            each graph, as the DEFEND release partitions each graph).
        seed (int): seeds the Louvain partitions
            (:func:`louvain_partition`). (default: :obj:`0`)
        own_module_only (bool): :math:`1 - (s_{i g_i} / s_i)^2`, the own
            module's term only, as the DEFEND release computes it.
            (default: :obj:`False`)

    Shapes:
        ``[B, N, N]`` -> ``[B, N]`` float64.
    """
    weights = graph_weights(adj)
    if partition is None:
        partition = louvain_partition(weights, seed)
    partition = torch.as_tensor(partition)
    if partition.dtype.is_floating_point or partition.dtype == torch.bool \
            or partition.shape[-1:] != weights.shape[-1:] or partition.dim() > 2 \
            or (partition.dim() == 2 and partition.size(0) != weights.size(0)) \
            or bool((partition < 0).any()):
        raise ValueError(f"partition must hold non-negative integer labels of "
                         f"shape [N] or [B, N] = {list(weights.shape[:2])}, got "
                         f"{partition.dtype} {list(partition.shape)}")
    partition = partition.long().expand(weights.shape[:2])
    within = weights @ F.one_hot(partition).double()
    strength = weights.sum(dim=-1)
    share = within / strength.clamp_min(1e-300)[..., None]
    if own_module_only:
        spread = share.gather(-1, partition[..., None]).squeeze(-1).pow(2)
    else:
        spread = share.pow(2).sum(dim=-1)
    return torch.where(strength > 0, 1 - spread, 0.)


def _clustering_and_path_length(binary: np.ndarray):
    clustering = clustering_coefficient(torch.from_numpy(binary)).mean().item()
    lengths = scipy.sparse.csgraph.shortest_path(binary, unweighted=True)
    num_nodes = binary.shape[0]
    return clustering, lengths.sum() / (num_nodes * (num_nodes - 1))


def _largest_component(binary: np.ndarray) -> np.ndarray:
    _, labels = scipy.sparse.csgraph.connected_components(binary, directed=False)
    largest = np.bincount(labels).argmax()
    keep = labels == largest
    return binary[np.ix_(keep, keep)]


def _connected_random_graph(num_nodes: int, num_edges: int, rng: random.Random,
                            max_tries: int) -> np.ndarray:
    for _ in range(max_tries):
        graph = nx.gnm_random_graph(num_nodes, num_edges, seed=rng)
        if nx.is_connected(graph):
            return nx.to_numpy_array(graph)
    raise ValueError(f"no connected G(n={num_nodes}, m={num_edges}) random graph "
                     f"in {max_tries} draws (too few edges for a small-world "
                     f"reference: expected m well above n)")


def small_worldness(adj, seed: int = 0, max_tries: int = 100) -> Tensor:
    r"""Small-worldness (Humphries & Gurney, PLoS ONE 2008) of the binary
    graph of the positive weights, on its largest connected component:

    .. math::
        \sigma = \frac{C / C_r}{L / L_r},

    with :math:`C` the mean binary clustering coefficient, :math:`L` the
    mean shortest path length (hops) over node pairs, and :math:`C_r`,
    :math:`L_r` those of one connected Erdős-Rényi :math:`G(n, m)` graph with
    the component's :math:`n` nodes and :math:`m` edges (drawn again until
    connected), as the DEFEND release computes it. ``nan`` where
    :math:`C_r = 0` or the component has fewer than 3 nodes.

    Args:
        adj (Tensor or ndarray): ``[B, N, N]`` connectomes; binarise dense
            ones first (:func:`~torch_gsr.metrics.graph_measures.binarize`).
        seed (int): subject ``b``'s reference graph is drawn with
            ``random.Random(seed + b)`` (the prediction and the target of a
            subject share it). (default: :obj:`0`)
        max_tries (int): draws before giving up. (default: :obj:`100`)

    Shapes:
        ``[B, N, N]`` -> ``[B]`` float64.
    """
    check_int(seed, 'seed', 0)
    check_int(max_tries, 'max_tries')
    binary = (graph_weights(adj) > 0).double().numpy()
    out = np.full(binary.shape[0], np.nan)
    for index, subject in enumerate(binary):
        component = _largest_component(subject)
        num_nodes, num_edges = component.shape[0], int(component.sum()) // 2
        if num_nodes < 3:
            continue
        reference = _connected_random_graph(num_nodes, num_edges,
                                            random.Random(seed + index), max_tries)
        clustering, length = _clustering_and_path_length(component)
        random_clustering, random_length = _clustering_and_path_length(reference)
        if random_clustering > 0:
            out[index] = (clustering / random_clustering) / (length / random_length)
    return torch.from_numpy(out)
