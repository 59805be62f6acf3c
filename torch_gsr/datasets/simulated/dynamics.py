r"""Simulated paired functional connectomes that emerge from linear dynamics
on a subject-specific structural graph ("structure -> function")."""
from typing import List, NamedTuple, Optional, Tuple

import numpy as np
import scipy.sparse

from ...utils.validation import check_generator_sizes
from .generated import GeneratedConnectomes, population_and_rng
from .geometry import CHUNK, averaging, sphere, voronoi

# Steps of the slowest subject's relaxation time simulated and discarded
# before the kept series, so that it starts near the stationary distribution,
# and their cap.
_RELAXATION_TIMES = 5
_MAX_BURN_IN = 5000
# Time steps of innovations drawn at once.
_BLOCK = 100


def _structural_graph(coords: np.ndarray, neighbours: int, shortcuts: int,
                      rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    r"""The shared graph as undirected edges ``[2, E]`` (``u < v``, no
    repeats) and their weights ``[E]``: k nearest neighbours weighted by
    distance, plus random long-range links of a typical neighbour's weight."""
    similarity = coords @ coords.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
    rows = np.repeat(np.arange(len(coords)), neighbours)
    ends = np.stack([rows, nearest.ravel()])
    pairs = _random_pairs(len(coords), shortcuts, rng)
    edges = np.unique(np.sort(np.concatenate([ends, pairs], axis=1), axis=0), axis=1)
    cosine = np.sum(coords[edges[0]] * coords[edges[1]], axis=1)
    distance = np.arccos(np.clip(cosine, -1., 1.))
    length = np.median(distance)
    weights = np.exp(-distance / length)
    # Long-range links (longer than three median lengths): the weight of a
    # link of median length, whatever their length.
    weights[distance > 3 * length] = np.exp(-1.)
    return edges, weights


class _Population(NamedTuple):
    edges: np.ndarray    # [2, E] shared structural edges
    weights: np.ndarray  # [E] their weights
    lr_mean: np.ndarray  # [V, N_l] LR atlas
    hr_mean: np.ndarray  # [V, N_h] HR atlas


def _draw_population(rng: np.random.Generator, fine_regions: int, neighbours: int,
                     shortcuts: int, lr_nodes: int, hr_nodes: int) -> _Population:
    coords = sphere(fine_regions, rng)
    edges, weights = _structural_graph(coords, neighbours, shortcuts, rng)
    lr_mean = averaging(voronoi(coords, lr_nodes, rng), lr_nodes)
    hr_mean = averaging(voronoi(coords, hr_nodes, rng), hr_nodes)
    return _Population(edges, weights, lr_mean, hr_mean)


def _random_pairs(num_vertices: int, num_pairs: int,
                  rng: np.random.Generator) -> np.ndarray:
    r"""``[2, num_pairs]`` random pairs of distinct vertices."""
    first = rng.integers(num_vertices, size=num_pairs)
    second = (first + rng.integers(1, num_vertices, size=num_pairs)) % num_vertices
    return np.stack([first, second])


def _coupling_matrix(edges: np.ndarray, weights: np.ndarray, coupling: np.ndarray,
                     num_vertices: int) -> scipy.sparse.csr_matrix:
    r"""Block-diagonal ``g_s W_s`` of a chunk of subjects from their edges
    ``[S, 2, E]`` (vertex ids within the subject) and weights ``[S, E]``."""
    size = len(weights)
    offset = (np.arange(size) * num_vertices)[:, None]
    first, second = edges[:, 0] + offset, edges[:, 1] + offset
    degree = (np.bincount(first.ravel(), weights.ravel(), size * num_vertices)
              + np.bincount(second.ravel(), weights.ravel(), size * num_vertices))
    scale = 1. / np.sqrt(degree)
    values = coupling[:, None] * weights * scale[first] * scale[second]
    rows = np.concatenate([first.ravel(), second.ravel()])
    cols = np.concatenate([second.ravel(), first.ravel()])
    matrix = scipy.sparse.coo_matrix(
        (np.concatenate([values.ravel()] * 2).astype(np.float32), (rows, cols)),
        shape=(size * num_vertices,) * 2)
    return matrix.tocsr()


def _simulate(matrix: scipy.sparse.csr_matrix, burn_in: int, size: int,
              num_vertices: int, time_points: int,
              rng: np.random.Generator) -> np.ndarray:
    r"""Vertex series ``[S, T, V]`` of ``x_{t+1} = M x_t + e_t`` from ``x_0 =
    e_0``, ``burn_in`` steps dropped; one sparse product per step covers the
    whole chunk."""
    series = np.empty((time_points, size * num_vertices), dtype=np.float32)
    state = np.zeros(size * num_vertices, dtype=np.float32)
    for first in range(0, burn_in + time_points, _BLOCK):
        steps = min(_BLOCK, burn_in + time_points - first)
        noise = rng.standard_normal((steps, size * num_vertices), dtype=np.float32)
        for step in range(steps):
            state = matrix @ state + noise[step]
            if first + step >= burn_in:
                series[first + step - burn_in] = state
    return series.reshape(time_points, size, num_vertices).transpose(1, 0, 2)


def _thresholded_correlation(series: np.ndarray) -> np.ndarray:
    r"""``max(corr, 0)`` ``[S, N, N]`` of ``series`` ``[S, T, N]``, unit
    diagonal, symmetric exactly."""
    series = series - series.mean(axis=1, keepdims=True)
    series /= np.linalg.norm(series, axis=1, keepdims=True)
    corr = series.transpose(0, 2, 1) @ series
    adj = np.clip((corr + corr.transpose(0, 2, 1)) / 2, 0., 1.)
    idx = np.arange(adj.shape[-1])
    adj[:, idx, idx] = 1.
    return adj.astype(np.float32)


def dynamics_connectomes(num_subjects: int = 277, lr_nodes: int = 100,
                         hr_nodes: int = 180, seed: int = 0, population_seed: int = 0,
                         fine_regions: Optional[int] = None, neighbours: int = 8,
                         shortcuts: int = 40, subject_shortcuts: int = 10,
                         weight_spread: float = 0.5, coupling: float = 0.995,
                         coupling_spread: float = 0.3, time_points: int = 600,
                         noise: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired functional connectomes from linear dynamics on a
    structural graph.

    Subject :math:`s` has a graph :math:`A_s` on ``fine_regions`` vertices of the
    sphere (the shared nearest-neighbour graph with shortcuts, its edges rescaled
    log-normally, plus links of its own) and the activity

    .. math::
        \mathbf{x}_{t+1} = g_s D_s^{-1/2} A_s D_s^{-1/2} \mathbf{x}_t
        + \boldsymbol{\varepsilon}_t, \qquad g_s = 1 - (1 - g) e^{\sigma z_s};

    two Voronoi atlases average it, each with its own white measurement noise,
    and the connectomes are :math:`\max(\mathrm{corr}, 0)`, unit diagonal.

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``, parcels of the LR atlas. (default: :obj:`100`)
        hr_nodes (int): ``N_h >= N_l``, parcels of the HR atlas. (default: :obj:`180`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the seed of the population (vertices, shared graph,
            atlases); another ``seed`` alone gives new subjects of it. (default: :obj:`0`)
        fine_regions (int, optional): vertices. (default: ``3 * hr_nodes``)
        neighbours (int): nearest vertices linked, ``< fine_regions``. (default: :obj:`8`)
        shortcuts (int): shared long-range links. (default: :obj:`40`)
        subject_shortcuts (int): each subject's own links. (default: :obj:`10`)
        weight_spread (float): log-std of the edge rescaling. (default: :obj:`0.5`)
        coupling (float): :math:`g`, in ``(0, 1)``. (default: :obj:`0.995`)
        coupling_spread (float): :math:`\sigma`. (default: :obj:`0.3`)
        time_points (int): length of the kept series, ``>= 2``. (default: :obj:`600`)
        noise (float): std of the measurement noise. (default: :obj:`0.2`)

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR ``[S, N_h, N_h]``
        float32, symmetric, in ``[0, 1]``, unit diagonal.

    Raises:
        ValueError: a bad size, ``neighbours >= fine_regions``, ``time_points < 2``,
            a negative spread, shortcut count or noise, ``coupling`` outside ``(0, 1)``.
    """
    fine_regions = fine_regions or 3 * hr_nodes
    check_generator_sizes(num_subjects, lr_nodes, hr_nodes, fine_regions,
                          neighbours=neighbours, shortcuts=shortcuts,
                          time_points=time_points)
    if not isinstance(subject_shortcuts, (int, np.integer)) or subject_shortcuts < 0:
        raise ValueError(f"subject_shortcuts must be an int >= 0, got "
                         f"{subject_shortcuts!r}")
    if neighbours >= fine_regions:
        raise ValueError(f"neighbours ({neighbours}) must be less than "
                         f"fine_regions ({fine_regions})")
    if time_points < 2:
        raise ValueError(f"time_points must be at least 2, got {time_points!r}")
    for name, value in (('weight_spread', weight_spread),
                        ('coupling_spread', coupling_spread), ('noise', noise)):
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
    if not 0 < coupling < 1:
        raise ValueError(f"coupling must be in (0, 1), got {coupling!r}")
    population, rng = population_and_rng(
        lambda r: _draw_population(r, fine_regions, neighbours, shortcuts, lr_nodes,
                                   hr_nodes),
        seed, population_seed)
    edges, weights = population.edges, population.weights
    typical = np.median(weights)

    lr: List[np.ndarray] = []
    hr: List[np.ndarray] = []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        own = np.stack([_random_pairs(fine_regions, subject_shortcuts, rng)
                        for _ in range(size)])
        subject_edges = np.concatenate([np.broadcast_to(edges, (size,) + edges.shape),
                                        own], axis=2)
        subject_weights = np.concatenate(
            [np.broadcast_to(weights, (size, len(weights))),
             np.full((size, subject_shortcuts), typical)], axis=1)
        subject_weights = subject_weights * np.exp(
            weight_spread * rng.standard_normal(subject_weights.shape))
        gain = 1 - (1 - coupling) * np.exp(coupling_spread * rng.standard_normal(size))
        matrix = _coupling_matrix(subject_edges, subject_weights, gain, fine_regions)
        burn_in = min(int(np.ceil(_RELAXATION_TIMES / (1 - gain.max()))), _MAX_BURN_IN)
        series = _simulate(matrix, burn_in, size, fine_regions, time_points, rng)
        for mean, out in ((population.lr_mean, lr), (population.hr_mean, hr)):
            parcel = series @ mean
            parcel += noise * rng.standard_normal(parcel.shape, dtype=np.float32)
            out.append(_thresholded_correlation(parcel))
    return np.concatenate(lr), np.concatenate(hr)


class DynamicsConnectomes(GeneratedConnectomes):
    r"""The functional connectomes of :func:`dynamics_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'dyn-0000'``, ...).

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``. (default: :obj:`100`)
        hr_nodes (int): ``N_h``. (default: :obj:`180`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the population's seed; another ``seed`` alone
            gives new subjects of the same population. (default: :obj:`0`)
        root (str, optional): cache folder (default: :obj:`None`, in memory
            only)
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 100,
                 hr_nodes: int = 180, seed: int = 0, population_seed: int = 0,
                 root: Optional[str] = None, **pyg_options):
        super().__init__(dynamics_connectomes, 'dynamics', 'dyn', num_subjects,
                         lr_nodes, hr_nodes, seed, population_seed=population_seed,
                         root=root, **pyg_options)
