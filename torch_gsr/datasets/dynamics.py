r"""Simulated paired functional connectomes that emerge from linear dynamics
on a subject-specific structural graph ("structure -> function"), on
assumptions unlike :mod:`~torch_gsr.datasets.synthetic`'s,
:mod:`~torch_gsr.datasets.smooth_fields`' and
:mod:`~torch_gsr.datasets.wiring`'s.

There are no latent networks or factors here: correlations arise only from
activity spreading along a sparse structural graph, connectomes are
*thresholded* correlations :math:`\max(r, 0)` (negative ones set to 0, as
many fMRI pipelines do) rather than :math:`|r|` or :math:`(1 + r) / 2`, and
the default sizes are 100 -> 180.

Per subject ``s``, on ``fine_regions`` vertices of the unit sphere:

1. A shared structural graph: every vertex linked to its ``neighbours``
   nearest vertices (weight :math:`\exp(-d_{uv} / \ell)` of the great-circle
   distance), plus ``shortcuts`` random long-range links (the weight of a
   link of median length). The subject's graph
   :math:`A_s` rescales every edge by a log-normal factor of log-standard
   deviation ``weight_spread`` and adds ``subject_shortcuts`` long-range
   links of its own; :math:`W_s = D_s^{-1/2} A_s D_s^{-1/2}` (degree
   normalised, spectral radius 1).
2. Vertex activity :math:`x_{t+1} = g_s W_s x_t + \varepsilon_t` (a
   discretised Ornstein-Uhlenbeck process, unit white innovations), with a
   subject-specific coupling :math:`g_s = 1 - (1 - g) e^{\sigma z_s}` below
   1, so the process is stable; ``time_points`` steps are kept after a
   burn-in.
3. Two independent, non-nested Voronoi atlases average the vertex series
   into ``lr_nodes`` and ``hr_nodes`` parcel series, each with its own
   additive white measurement noise of standard deviation ``noise``.
4. Connectomes are :math:`\max(\mathrm{corr}, 0)` between parcels, unit
   diagonal: values in ``[0, 1]``, with the finite-sample noise of
   ``time_points`` samples.

Everything is drawn from one ``numpy`` generator seeded by ``seed``.
"""
from typing import List, Optional, Tuple

import numpy as np
import scipy.sparse

from ..utils.validation import check_generator_sizes
from .generated import GeneratedConnectomes
from .synthetic import CHUNK, _averaging, _sphere, _voronoi

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
                         hr_nodes: int = 180, seed: int = 0,
                         fine_regions: Optional[int] = None, neighbours: int = 8,
                         shortcuts: int = 40, subject_shortcuts: int = 10,
                         weight_spread: float = 0.5, coupling: float = 0.995,
                         coupling_spread: float = 0.3, time_points: int = 600,
                         noise: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired functional connectomes (see the module doc).

    Args:
        num_subjects (int): ``S``.
        lr_nodes (int): ``N_l``, parcels of the LR atlas.
        hr_nodes (int): ``N_h``, parcels of the HR atlas (``>= N_l``).
        seed (int): seed; equal seeds give equal arrays.
        fine_regions (int, optional): vertices parcellated by both atlases
            (default ``3 * hr_nodes``).
        neighbours (int): nearest vertices each vertex is linked to
            (``< fine_regions``).
        shortcuts (int): shared random long-range links.
        subject_shortcuts (int): random long-range links of each subject's
            own (``0``: none).
        weight_spread (float): log-standard deviation of the subject-specific
            rescaling of every edge.
        coupling (float): :math:`g`, the population's coupling, in ``(0, 1)``.
        coupling_spread (float): :math:`\sigma`, log-standard deviation of a
            subject's :math:`1 - g_s` around :math:`1 - g`.
        time_points (int): length of the kept series (``>= 2``).
        noise (float): standard deviation of each atlas's measurement noise.

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` float32, symmetric, in ``[0, 1]``, unit diagonal.

    Raises:
        ValueError: a size that is not a positive int, ``hr_nodes <
            lr_nodes``, more parcels than ``fine_regions``, ``neighbours >=
            fine_regions``, ``time_points < 2``, a negative
            ``subject_shortcuts``/``weight_spread``/``coupling_spread``/
            ``noise``, or ``coupling`` outside ``(0, 1)``.
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
    rng = np.random.default_rng(seed)
    coords = _sphere(fine_regions, rng)
    edges, weights = _structural_graph(coords, neighbours, shortcuts, rng)
    lr_mean = _averaging(_voronoi(coords, lr_nodes, rng), lr_nodes)
    hr_mean = _averaging(_voronoi(coords, hr_nodes, rng), hr_nodes)
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
        for mean, out in ((lr_mean, lr), (hr_mean, hr)):
            parcel = series @ mean
            parcel += noise * rng.standard_normal(parcel.shape, dtype=np.float32)
            out.append(_thresholded_correlation(parcel))
    return np.concatenate(lr), np.concatenate(hr)


class DynamicsConnectomes(GeneratedConnectomes):
    r"""The functional connectomes of :func:`dynamics_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'dyn-0000'``, ...).

    Args:
        num_subjects, lr_nodes, hr_nodes, seed: see
            :func:`dynamics_connectomes`.
        root (str, optional): cache folder (``None``: in memory only).
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 100,
                 hr_nodes: int = 180, seed: int = 0, root: Optional[str] = None, **pyg_options):
        super().__init__(dynamics_connectomes, 'dynamics', 'dyn', num_subjects,
                         lr_nodes, hr_nodes, seed, root, **pyg_options)
