r"""The simulated sets of the DEFEND/Bi-SR release (SBM, Barabási–Albert,
Watts–Strogatz): an HR graph, its sub-graph on the highest-degree nodes as
LR, both turned into correlations of random-walk node embeddings
(docs/datasets.md)."""
import random
from typing import Callable, List, Tuple

import networkx as nx
import numpy as np
import torch

from ...utils.validation import check_int
from .walk_embedding import cosine_similarities, walk_embedding

Pairs = Tuple[np.ndarray, np.ndarray]
Range = Tuple[float, float]
NODE_ORDERS = ('degree', 'index')


class _Streams:
    r"""The release's three random streams, seeded by one ``seed``: numpy's
    (graph parameters), torch's (SBM probabilities), Python's (networkx)."""
    def __init__(self, seed: int):
        self.numpy = np.random.RandomState(seed)
        self.torch = torch.Generator().manual_seed(seed)
        self.python = random.Random(seed)

    def torch_uniform(self, shape, bounds: Range) -> torch.Tensor:
        low, high = bounds
        return torch.rand(shape, generator=self.torch) * (high - low) + low


def _check_range(bounds, name: str, low: float, high: float, integer: bool = False) -> None:
    r"""Checks that ``bounds`` is a pair ``low <= b[0] <= b[1] <= high`` (of
    ints where ``integer``)."""
    kinds = (int,) if integer else (int, float)
    if (not isinstance(bounds, (tuple, list)) or len(bounds) != 2
            or not all(isinstance(b, kinds) and not isinstance(b, bool) for b in bounds)
            or not low <= bounds[0] <= bounds[1] <= high):
        kind = 'ints' if integer else 'numbers'
        raise ValueError(f"{name} must be a pair of {kind} with {low} <= low <= high "
                         f"<= {high}, got {bounds!r}")


def top_degree_nodes(adj: np.ndarray, k: int) -> np.ndarray:
    r"""The ``k`` nodes of largest degree of each graph (ties: the smaller
    index first), in increasing order. ``[S, N, N]`` -> ``[S, k]``."""
    order = np.argsort(-adj.sum(-1), axis=-1, kind='stable')[:, :k]
    return np.sort(order, axis=-1)


def _sbm_graph(streams: _Streams, num_nodes: int, num_blocks: Tuple[int, int],
               inter_probs: Range, intra_probs: Range) -> nx.Graph:
    blocks = streams.numpy.randint(num_blocks[0], num_blocks[1] + 1)
    sizes = streams.numpy.multinomial(num_nodes - blocks, np.ones(blocks) / blocks) + 1
    probs = streams.torch_uniform((blocks, blocks), inter_probs)
    intra = streams.torch_uniform((blocks,), intra_probs)
    probs = (probs + probs.t()) / 2
    probs = probs.masked_fill(torch.eye(blocks, dtype=torch.bool), 0) + torch.diag(intra)
    return nx.stochastic_block_model(sizes.tolist(), probs.tolist(), seed=streams.python)


def _ba_graph(streams: _Streams, num_nodes: int, edges_per_node: Tuple[int, int]) -> nx.Graph:
    m = streams.numpy.randint(edges_per_node[0], edges_per_node[1] + 1)
    return nx.barabasi_albert_graph(num_nodes, int(m), seed=streams.python)


def _ws_graph(streams: _Streams, num_nodes: int, neighbours: Tuple[int, int],
              rewiring: Range) -> nx.Graph:
    k = streams.numpy.randint(neighbours[0], neighbours[1] + 1)
    p = streams.numpy.uniform(*rewiring)
    return nx.watts_strogatz_graph(num_nodes, int(k), p, seed=streams.python)


def _embed(adj: np.ndarray, dim: int, node_order: str) -> np.ndarray:
    corr = cosine_similarities(walk_embedding(adj, dim))
    if node_order == 'index':
        return corr
    order = np.argsort(-adj.sum(-1), axis=-1, kind='stable')
    corr = np.take_along_axis(corr, order[:, :, None], 1)
    return np.take_along_axis(corr, order[:, None, :], 2)


def _pairs(draw: Callable[[_Streams], nx.Graph], num_subjects: int, lr_nodes: int,
           hr_nodes: int, embedding_dim: int, node_order: str, seed: int) -> Pairs:
    for name, value in dict(num_subjects=num_subjects, lr_nodes=lr_nodes,
                            hr_nodes=hr_nodes, embedding_dim=embedding_dim).items():
        check_int(value, name)
    if lr_nodes > hr_nodes:
        raise ValueError(f"lr_nodes ({lr_nodes}) must be at most hr_nodes ({hr_nodes}): "
                         f"the LR graph is a sub-graph of the HR graph")
    if embedding_dim > lr_nodes:
        raise ValueError(f"embedding_dim ({embedding_dim}) must be at most lr_nodes "
                         f"({lr_nodes})")
    if node_order not in NODE_ORDERS:
        raise ValueError(f"node_order must be one of {NODE_ORDERS}, got {node_order!r}")
    streams = _Streams(seed)
    graphs: List[nx.Graph] = [draw(streams) for _ in range(num_subjects)]
    hr = np.stack([nx.to_numpy_array(g, nodelist=range(hr_nodes)) for g in graphs])
    kept = top_degree_nodes(hr, lr_nodes)
    lr = np.take_along_axis(np.take_along_axis(hr, kept[:, :, None], 1), kept[:, None, :], 2)
    return _embed(lr, embedding_dim, node_order), _embed(hr, embedding_dim, node_order)




def defend_sbm_graphs(num_subjects: int = 128, lr_nodes: int = 32, hr_nodes: int = 64,
                      num_blocks: Tuple[int, int] = (2, 4), inter_probs: Range = (0.01, 0.10),
                      intra_probs: Range = (0.5, 0.6), embedding_dim: int = 8,
                      node_order: str = 'degree', seed: int = 0) -> Pairs:
    r"""DEFEND's stochastic block model pairs (LR: top-degree sub-graph).

    Each HR graph draws its number of blocks, a random partition of the nodes
    (every block non-empty) and block probabilities, uniform in
    ``intra_probs`` on the diagonal and symmetrised uniform in ``inter_probs``
    off it.

    The LR graph is the HR graph's sub-graph on its ``lr_nodes`` nodes of
    largest degree; both connectomes are the cosine similarities between the
    nodes' :func:`walk_embedding` features (zero diagonal), rows in decreasing
    degree (``node_order='degree'``) or node index (``'index'``).

    Args:
        num_subjects (int): ``S``. (default: :obj:`128`)
        lr_nodes (int): ``N_l``, nodes kept. (default: :obj:`32`)
        hr_nodes (int): ``N_h``. (default: :obj:`64`)
        num_blocks ((int, int)): inclusive range. (default: :obj:`(2, 4)`)
        inter_probs ((float, float)): range. (default: :obj:`(0.01, 0.10)`)
        intra_probs ((float, float)): range. (default: :obj:`(0.5, 0.6)`)
        embedding_dim (int): features per node. (default: :obj:`8`)
        node_order (str): ``'degree'`` or ``'index'``. (default: :obj:`'degree'`)
        seed (int): seeds numpy, torch and Python generators: the release's
            graphs after its ``set_seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): float32 LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` in ``[-1, 1]`` (mostly positive), symmetric, zero diagonal.
    """
    _check_range(num_blocks, 'num_blocks', 1, hr_nodes, integer=True)
    _check_range(inter_probs, 'inter_probs', 0, 1)
    _check_range(intra_probs, 'intra_probs', 0, 1)
    return _pairs(lambda s: _sbm_graph(s, hr_nodes, num_blocks, inter_probs, intra_probs),
                  num_subjects, lr_nodes, hr_nodes, embedding_dim, node_order, seed)


def defend_ba_graphs(num_subjects: int = 128, lr_nodes: int = 32, hr_nodes: int = 64,
                     edges_per_node: Tuple[int, int] = (4, 7), embedding_dim: int = 8,
                     node_order: str = 'degree', seed: int = 0) -> Pairs:
    r"""DEFEND's Barabási–Albert pairs (LR: top-degree sub-graph).

    Each HR graph draws :math:`m` from ``edges_per_node`` and grows by
    preferential attachment of :math:`m` edges per new node.

    The LR graph is the HR graph's sub-graph on its ``lr_nodes`` nodes of
    largest degree; both connectomes are the cosine similarities between the
    nodes' :func:`walk_embedding` features (zero diagonal), rows in decreasing
    degree (``node_order='degree'``) or node index (``'index'``).

    Args:
        num_subjects (int): ``S``. (default: :obj:`128`)
        lr_nodes (int): ``N_l``, nodes kept. (default: :obj:`32`)
        hr_nodes (int): ``N_h``. (default: :obj:`64`)
        edges_per_node ((int, int)): inclusive range of :math:`m`, below
            ``hr_nodes``. (default: :obj:`(4, 7)`)
        embedding_dim (int): features per node. (default: :obj:`8`)
        node_order (str): ``'degree'`` or ``'index'``. (default: :obj:`'degree'`)
        seed (int): seeds numpy and Python generators: the release's graphs
            after its ``set_seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): float32 LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` in ``[-1, 1]`` (mostly positive), symmetric, zero diagonal.
    """
    _check_range(edges_per_node, 'edges_per_node', 1, hr_nodes - 1, integer=True)
    return _pairs(lambda s: _ba_graph(s, hr_nodes, edges_per_node),
                  num_subjects, lr_nodes, hr_nodes, embedding_dim, node_order, seed)


def defend_ws_graphs(num_subjects: int = 128, lr_nodes: int = 32, hr_nodes: int = 64,
                     neighbours: Tuple[int, int] = (6, 11), rewiring: Range = (0.2, 0.5),
                     embedding_dim: int = 8, node_order: str = 'degree',
                     seed: int = 0) -> Pairs:
    r"""DEFEND's Watts–Strogatz pairs (LR: top-degree sub-graph).

    Each HR graph draws :math:`k` from ``neighbours`` and :math:`p` from
    ``rewiring``: a ring lattice of :math:`k` nearest neighbours whose edges
    are rewired with probability :math:`p`.

    The LR graph is the HR graph's sub-graph on its ``lr_nodes`` nodes of
    largest degree; both connectomes are the cosine similarities between the
    nodes' :func:`walk_embedding` features (zero diagonal), rows in decreasing
    degree (``node_order='degree'``) or node index (``'index'``).

    Args:
        num_subjects (int): ``S``. (default: :obj:`128`)
        lr_nodes (int): ``N_l``, nodes kept. (default: :obj:`32`)
        hr_nodes (int): ``N_h``. (default: :obj:`64`)
        neighbours ((int, int)): inclusive range of :math:`k`. (default:
            :obj:`(6, 11)`)
        rewiring ((float, float)): range of :math:`p`. (default: :obj:`(0.2, 0.5)`)
        embedding_dim (int): features per node. (default: :obj:`8`)
        node_order (str): ``'degree'`` or ``'index'``. (default: :obj:`'degree'`)
        seed (int): seeds numpy and Python generators: the release's graphs
            after its ``set_seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): float32 LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` in ``[-1, 1]`` (mostly positive), symmetric, zero diagonal.
    """
    _check_range(neighbours, 'neighbours', 1, hr_nodes - 1, integer=True)
    _check_range(rewiring, 'rewiring', 0, 1)
    return _pairs(lambda s: _ws_graph(s, hr_nodes, neighbours, rewiring),
                  num_subjects, lr_nodes, hr_nodes, embedding_dim, node_order, seed)

