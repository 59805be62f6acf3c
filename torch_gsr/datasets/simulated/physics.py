r"""The physics-inspired set of the DEFEND/Bi-SR release: nodes with a
position and a mass on a random geometric or grid graph, and on each edge a
value given by one of six equations of its two nodes (docs/datasets.md)."""
import random
from typing import Callable, Dict, NamedTuple, Tuple

import networkx as nx
import numpy as np

from ...utils.validation import check_int

GRAPHS = ('random_geometric', 'grid')


class PhysicsGraphs(NamedTuple):
    r"""Graphs of :func:`defend_physics_graphs`."""
    node_features: np.ndarray  # [S, N, 3]: x, y, mass
    adj: np.ndarray            # [S, N, N] binary, zero diagonal
    edge_values: np.ndarray    # [S, N, N] on the edges, zero elsewhere


def _pairwise(features: np.ndarray):
    r"""``(x_i, y_i, m_i), (x_j, y_j, m_j)`` as ``[S, N, 1]`` and ``[S, 1, N]``."""
    return ([features[:, :, None, k] for k in range(3)],
            [features[:, None, :, k] for k in range(3)])


def _gravity(i, j):
    (xi, yi, mi), (xj, yj, mj) = i, j
    squared = (xi - xj) ** 2 + (yi - yj) ** 2
    return 0.1 * mi * mj / np.where(squared > 0, squared, np.inf)


#: The release's edge equations of the nodes ``i < j`` (``data/phy.py``).
EQUATIONS: Dict[str, Callable] = {
    'e1': _gravity,
    'e2': lambda i, j: (10 * i[2] - 7 * j[2]) / (i[0] ** 2 + j[1] ** 2),
    'e3': lambda i, j: sum((a - b) ** 2 for a, b in zip(i, j, strict=True)),
    'e4': lambda i, j: i[0] * i[1] * i[2] + j[0] * j[1] * j[2] + i[0] * j[1] + j[0] * i[1],
    'e5': lambda i, j: i[0] ** 2 + i[1] ** 2 + j[2] ** 2,
    'e6': lambda i, j: j[0] ** 2 + j[1] ** 2 + i[2] ** 2,
}


def _positions_and_adj(graph: str, num_subjects: int, num_nodes: int, threshold: float,
                       grid_size: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    if graph == 'grid':
        lattice = nx.grid_2d_graph(grid_size, grid_size)
        positions = np.array(list(lattice.nodes), dtype=np.float64)
        adj = nx.to_numpy_array(lattice, nodelist=list(lattice.nodes))
        return (np.broadcast_to(positions, (num_subjects, *positions.shape)),
                np.broadcast_to(adj, (num_subjects, *adj.shape)))
    rng = random.Random(seed)
    graphs = [nx.random_geometric_graph(num_nodes, threshold, seed=rng)
              for _ in range(num_subjects)]
    positions = np.array([[g.nodes[v]['pos'] for v in range(num_nodes)] for g in graphs])
    adj = np.stack([nx.to_numpy_array(g, nodelist=range(num_nodes)) for g in graphs])
    return positions, adj


def defend_physics_graphs(num_subjects: int = 192, num_nodes: int = 16,
                          threshold: float = 0.3, graph: str = 'random_geometric',
                          equation: str = 'e1', uniform_mass: bool = True,
                          grid_size: int = 4, seed: int = 0) -> PhysicsGraphs:
    r"""DEFEND's physics-inspired graphs: node positions and masses, and an
    edge value :math:`f(i, j)` of the two nodes of every edge.

    With ``equation='e1'`` the edge value is a gravitational force,

    .. math::
        f(i, j) = 0.1\, \frac{m_i m_j}{\lVert p_i - p_j \rVert^2},

    (``EQUATIONS`` holds the release's six, evaluated at ``i < j`` and
    mirrored). Random geometric graphs place ``num_nodes`` uniform points in
    the unit square and link those within ``threshold``; the grid is a
    ``grid_size`` x ``grid_size`` lattice of integer positions.

    Args:
        num_subjects (int): ``S``. (default: :obj:`192`, 128 + 32 + 32)
        num_nodes (int): ``N`` (random geometric). (default: :obj:`16`)
        threshold (float): link radius. (default: :obj:`0.3`)
        graph (str): ``'random_geometric'`` or ``'grid'``.
            (default: :obj:`'random_geometric'`)
        equation (str): ``'e1'``, ..., ``'e6'``. (default: :obj:`'e1'`)
        uniform_mass (bool): unit masses, else :math:`U(0, 1)`. (default:
            :obj:`True`)
        grid_size (int): grid side (grid). (default: :obj:`4`)
        seed (int): seeds the positions (a ``random.Random`` passed to
            networkx: the release's graphs for ``data_gen_seed=seed``) and the
            masses (a numpy generator). (default: :obj:`0`)

    Returns:
        PhysicsGraphs: ``node_features`` ``[S, N, 3]``, ``adj`` and
        ``edge_values`` ``[S, N, N]``, float32.
    """
    check_int(num_subjects, 'num_subjects')
    check_int(num_nodes, 'num_nodes')
    check_int(grid_size, 'grid_size')
    if graph not in GRAPHS:
        raise ValueError(f"graph must be one of {GRAPHS}, got {graph!r}")
    if equation not in EQUATIONS:
        raise ValueError(f"equation must be one of {sorted(EQUATIONS)}, got {equation!r}")
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    positions, adj = _positions_and_adj(graph, num_subjects, num_nodes, threshold,
                                        grid_size, seed)
    mass = (np.ones(positions.shape[:2]) if uniform_mass
            else np.random.default_rng(seed).random(positions.shape[:2]))
    features = np.concatenate([positions, mass[..., None]], axis=-1)
    with np.errstate(divide='ignore', invalid='ignore'):
        values = EQUATIONS[equation](*_pairwise(features))
    upper = np.triu(np.where(adj > 0, values, 0.), 1)
    return PhysicsGraphs(features.astype(np.float32), adj.astype(np.float32),
                         (upper + upper.transpose(0, 2, 1)).astype(np.float32))


def defend_physics_pairs(num_subjects: int = 192, seed: int = 0,
                         **options) -> Tuple[np.ndarray, np.ndarray]:
    r"""The graphs of :func:`defend_physics_graphs` as ``(lr, hr)`` pairs on
    the same nodes: ``lr`` holds each edge's length :math:`\lVert p_i - p_j
    \rVert` and each node's mass on the diagonal, ``hr`` the edge values.

    Args:
        num_subjects (int): ``S``. (default: :obj:`192`)
        seed (int): as in :func:`defend_physics_graphs`. (default: :obj:`0`)
        **options: the other arguments of :func:`defend_physics_graphs`.

    Returns:
        (numpy.ndarray, numpy.ndarray): float32 ``[S, N, N]`` each, symmetric.
    """
    graphs = defend_physics_graphs(num_subjects, seed=seed, **options)
    positions = graphs.node_features[..., :2].astype(np.float64)
    length = np.linalg.norm(positions[:, :, None] - positions[:, None, :], axis=-1)
    lr = graphs.adj * length
    idx = np.arange(lr.shape[-1])
    lr[:, idx, idx] = graphs.node_features[..., 2]
    return lr.astype(np.float32), graphs.edge_values
