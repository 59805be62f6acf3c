r"""The four simulated sets of the STP-GSR release (SBM, Erdős–Rényi,
Barabási–Albert, Kronecker): binary LR and HR graphs drawn *independently*
of each other, subject by subject (docs/datasets.md)."""
import random
from typing import Sequence, Tuple

import networkx as nx
import numpy as np

from ...utils.validation import check_int

Pairs = Tuple[np.ndarray, np.ndarray]
#: The release's block sizes and edge probabilities (``configs/dataset/sbm.yaml``).
STP_SBM_LR_BLOCKS = (20, 20, 20)
STP_SBM_HR_BLOCKS = (30, 20, 20, 30)
STP_SBM_LR_PROBS = ((0.7, 0.2, 0.1), (0.2, 0.7, 0.1), (0.2, 0.1, 0.7))
STP_SBM_HR_PROBS = ((0.6, 0.2, 0.1, 0.1), (0.2, 0.6, 0.1, 0.1),
                    (0.1, 0.1, 0.6, 0.2), (0.1, 0.1, 0.2, 0.6))


def _check_sizes(num_subjects: int, lr_nodes: int, hr_nodes: int) -> None:
    for name, value in dict(num_subjects=num_subjects, lr_nodes=lr_nodes,
                            hr_nodes=hr_nodes).items():
        check_int(value, name)


def _check_probability(value: float, name: str) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")


def _stack(graphs, num_nodes: int) -> np.ndarray:
    r"""Dense float32 adjacency ``[S, N, N]`` of networkx graphs on the nodes
    ``0, ..., N - 1``."""
    return np.stack([nx.to_numpy_array(graph, nodelist=range(num_nodes), dtype=np.float32)
                     for graph in graphs])


def _sbm(rng: np.random.RandomState, num_subjects: int, blocks: Sequence[int],
         probs: np.ndarray) -> np.ndarray:
    r"""``num_subjects`` SBM graphs: one uniform draw per node pair ``i < j``
    (row by row), an edge where it falls below ``probs[b_i, b_j]``."""
    block = np.repeat(np.arange(len(blocks)), blocks)
    row, col = np.triu_indices(len(block), 1)
    edges = rng.random_sample((num_subjects, len(row))) < probs[block[row], block[col]]
    adj = np.zeros((num_subjects, len(block), len(block)), dtype=np.float32)
    adj[:, row, col] = edges
    return adj + adj.transpose(0, 2, 1)


def _check_blocks(blocks: Sequence[int], probs, name: str) -> np.ndarray:
    for size in blocks:
        check_int(size, f'{name}_blocks entries')
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (len(blocks), len(blocks)):
        raise ValueError(f"{name}_probs must have shape [{len(blocks)}, {len(blocks)}] "
                         f"(one row per block), got {list(probs.shape)}")
    if not ((probs >= 0) & (probs <= 1)).all():
        raise ValueError(f"{name}_probs must be in [0, 1]")
    return probs


def stp_sbm_graphs(num_subjects: int = 200,
                   lr_blocks: Sequence[int] = STP_SBM_LR_BLOCKS,
                   hr_blocks: Sequence[int] = STP_SBM_HR_BLOCKS,
                   lr_probs: Sequence[Sequence[float]] = STP_SBM_LR_PROBS,
                   hr_probs: Sequence[Sequence[float]] = STP_SBM_HR_PROBS,
                   seed: int = 0) -> Pairs:
    r"""STP-GSR's stochastic block model pairs: independent LR and HR graphs.

    Nodes :math:`i < j` of blocks :math:`b_i \le b_j` are linked with
    probability :math:`P_{b_i b_j}` (only the upper triangle of :math:`P` is
    read, as in the release); all LR graphs are drawn, then all HR graphs.

    Args:
        num_subjects (int): ``S``. (default: :obj:`200`)
        lr_blocks (sequence of int): LR block sizes, ``N_l`` their sum.
            (default: :obj:`(20, 20, 20)`)
        hr_blocks (sequence of int): HR block sizes. (default:
            :obj:`(30, 20, 20, 30)`)
        lr_probs (matrix): LR block edge probabilities. (default: the release's)
        hr_probs (matrix): HR block edge probabilities. (default: the release's)
        seed (int): seeds a ``numpy.random.RandomState``: the release's graphs
            after ``numpy.random.seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): binary float32 LR ``[S, N_l, N_l]`` and
        HR ``[S, N_h, N_h]``, symmetric, zero diagonal.
    """
    check_int(num_subjects, 'num_subjects')
    lr_matrix = _check_blocks(lr_blocks, lr_probs, 'lr')
    hr_matrix = _check_blocks(hr_blocks, hr_probs, 'hr')
    rng = np.random.RandomState(seed)
    return (_sbm(rng, num_subjects, lr_blocks, lr_matrix),
            _sbm(rng, num_subjects, hr_blocks, hr_matrix))


def stp_er_graphs(num_subjects: int = 30, lr_nodes: int = 160, hr_nodes: int = 268,
                  lr_edge_prob: float = 0.3, hr_edge_prob: float = 0.4,
                  seed: int = 0) -> Pairs:
    r"""STP-GSR's Erdős–Rényi pairs: independent :math:`G(N, p)` LR and HR graphs.

    Every node pair is linked with probability :math:`p`
    (``networkx.erdos_renyi_graph``); all LR graphs, then all HR graphs.

    Args:
        num_subjects (int): ``S``. (default: :obj:`30`)
        lr_nodes (int): ``N_l``. (default: :obj:`160`)
        hr_nodes (int): ``N_h``. (default: :obj:`268`)
        lr_edge_prob (float): LR :math:`p`. (default: :obj:`0.3`)
        hr_edge_prob (float): HR :math:`p`. (default: :obj:`0.4`)
        seed (int): seeds a ``random.Random`` passed to networkx: the release's
            graphs after ``random.seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): binary float32 LR ``[S, N_l, N_l]`` and
        HR ``[S, N_h, N_h]``, symmetric, zero diagonal.
    """
    _check_sizes(num_subjects, lr_nodes, hr_nodes)
    _check_probability(lr_edge_prob, 'lr_edge_prob')
    _check_probability(hr_edge_prob, 'hr_edge_prob')
    rng = random.Random(seed)
    lr, hr = (_stack([nx.erdos_renyi_graph(n, p, seed=rng) for _ in range(num_subjects)], n)
              for n, p in ((lr_nodes, lr_edge_prob), (hr_nodes, hr_edge_prob)))
    return lr, hr


def stp_ba_graphs(num_subjects: int = 100, lr_nodes: int = 160, hr_nodes: int = 268,
                  lr_edges_per_node: int = 18, hr_edges_per_node: int = 40,
                  seed: int = 0) -> Pairs:
    r"""STP-GSR's Barabási–Albert pairs: independent preferential-attachment
    LR and HR graphs.

    Each new node links to :math:`m` existing nodes chosen with probability
    proportional to their degree (``networkx.barabasi_albert_graph``).

    Args:
        num_subjects (int): ``S``. (default: :obj:`100`)
        lr_nodes (int): ``N_l``. (default: :obj:`160`)
        hr_nodes (int): ``N_h``. (default: :obj:`268`)
        lr_edges_per_node (int): LR :math:`m`, ``< N_l``. (default: :obj:`18`)
        hr_edges_per_node (int): HR :math:`m`, ``< N_h``. (default: :obj:`40`)
        seed (int): seeds a ``random.Random`` passed to networkx: the release's
            graphs after ``random.seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): binary float32 LR ``[S, N_l, N_l]`` and
        HR ``[S, N_h, N_h]``, symmetric, zero diagonal.
    """
    _check_sizes(num_subjects, lr_nodes, hr_nodes)
    for name, m, n in (('lr', lr_edges_per_node, lr_nodes), ('hr', hr_edges_per_node, hr_nodes)):
        check_int(m, f'{name}_edges_per_node')
        if m >= n:
            raise ValueError(f"{name}_edges_per_node ({m}) must be less than "
                             f"{name}_nodes ({n})")
    rng = random.Random(seed)
    lr, hr = (_stack([nx.barabasi_albert_graph(n, m, seed=rng) for _ in range(num_subjects)], n)
              for n, m in ((lr_nodes, lr_edges_per_node), (hr_nodes, hr_edges_per_node)))
    return lr, hr


def _kronecker(rng: np.random.RandomState, initiator_size: int, iterations: int) -> np.ndarray:
    r"""One stochastic Kronecker graph, its components chained by an edge
    between the smallest nodes of consecutive components."""
    initiator = rng.uniform(0.5, 1.0, (initiator_size, initiator_size))
    initiator = (initiator + initiator.T) / 2
    np.fill_diagonal(initiator, 0.1)
    probs = initiator
    for _ in range(iterations - 1):
        probs = np.kron(probs, initiator)
    drawn = probs > rng.rand(*probs.shape)
    adj = (drawn | drawn.T).astype(np.float32)
    np.fill_diagonal(adj, np.diagonal(drawn))  # a self-loop where drawn
    graph = nx.from_numpy_array(adj)
    heads = [min(component) for component in nx.connected_components(graph)]
    adj[heads[:-1], heads[1:]] = adj[heads[1:], heads[:-1]] = 1.
    return adj


def stp_kronecker_graphs(num_subjects: int = 100, lr_initiator: int = 4,
                         hr_initiator: int = 5, iterations: int = 3,
                         seed: int = 0) -> Pairs:
    r"""STP-GSR's stochastic Kronecker pairs: independent LR and HR graphs.

    Each graph draws a symmetric initiator :math:`\Theta` (entries
    :math:`U(0.5, 1)`, symmetrised, diagonal 0.1) and links :math:`i, j` where
    :math:`\Theta^{\otimes k}_{ij}` or :math:`\Theta^{\otimes k}_{ji}` exceeds a
    uniform draw; components are then chained by one edge each.

    Args:
        num_subjects (int): ``S``. (default: :obj:`100`)
        lr_initiator (int): LR initiator size, ``N_l = lr_initiator ** k``.
            (default: :obj:`4`, 64 nodes)
        hr_initiator (int): HR initiator size. (default: :obj:`5`, 125 nodes)
        iterations (int): :math:`k`. (default: :obj:`3`)
        seed (int): seeds a ``numpy.random.RandomState``: the release's graphs
            after ``numpy.random.seed(seed)``. (default: :obj:`0`)

    Returns:
        (numpy.ndarray, numpy.ndarray): binary float32 LR ``[S, N_l, N_l]`` and
        HR ``[S, N_h, N_h]``, symmetric, with the rare self-loops drawn.
    """
    for name, value in dict(num_subjects=num_subjects, lr_initiator=lr_initiator,
                            hr_initiator=hr_initiator, iterations=iterations).items():
        check_int(value, name)
    rng = np.random.RandomState(seed)
    lr, hr = (np.stack([_kronecker(rng, size, iterations) for _ in range(num_subjects)])
              for size in (lr_initiator, hr_initiator))
    return lr, hr
