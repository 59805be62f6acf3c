r"""Simulated paired connectomes from smooth spatial factors whose layout
shifts between subjects, on assumptions unlike
:mod:`~torch_gsr.datasets.synthetic`'s.

Where :func:`~torch_gsr.datasets.synthetic_connectomes` draws discrete
networks with fixed borders whose *strengths* vary between subjects, here
every subject has the same number of smooth *factors* (Gaussian bumps on a
sphere of vertices) whose *centres move* from subject to subject (individual
functional topography), noise is spatially smooth rather than independent,
connectomes are signed correlations mapped to ``[0, 1]`` by
:math:`(1 + r) / 2` rather than absolute ones, and the default sizes are
116 -> 200 (an AAL-like to a Craddock-like atlas) rather than 160 -> 268.

Per subject ``s``:

1. ``num_factors`` bumps :math:`\phi_{sk}(v) = a_{sk} \exp(\kappa
   (\mathbf{c}_{sk}^\top \mathbf{v} - 1))` on ``fine_regions`` vertices
   :math:`\mathbf{v}` of the unit sphere, with centres :math:`\mathbf{c}_{sk}`
   the population's centres moved by a random step of size ``shift`` and
   log-normal amplitudes :math:`a_{sk}`.
2. Vertex series: :math:`\sum_k \phi_{sk}(v) f_{sk}(t)` (AR(1) factor
   series) plus ``noise`` times white noise smoothed over the sphere.
3. Two independent, non-nested Voronoi atlases average the vertex series
   into ``lr_nodes`` and ``hr_nodes`` parcel series;
   :math:`(1 + \mathrm{corr}) / 2` between parcels are the connectomes.

Everything is drawn from one ``numpy`` generator seeded by ``seed``.
"""
from typing import Optional, Tuple

import numpy as np

from ..utils.validation import check_generator_sizes
from .generated import GeneratedConnectomes
from .synthetic import CHUNK, _averaging, _bold, _sphere, _voronoi


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _bumps(coords: np.ndarray, centres: np.ndarray, sharpness: float) -> np.ndarray:
    r"""``[..., K, V]`` Gaussian-like bumps on the sphere around ``centres``
    ``[..., K, 3]`` at the vertices ``coords`` ``[V, 3]``."""
    return np.exp(sharpness * (centres @ coords.T - 1.))


def _signed_correlation(series: np.ndarray) -> np.ndarray:
    r"""``(1 + corr) / 2`` ``[S, N, N]`` of ``series`` ``[S, T, N]``, unit
    diagonal."""
    series = series - series.mean(axis=1, keepdims=True)
    series /= np.linalg.norm(series, axis=1, keepdims=True)
    corr = series.transpose(0, 2, 1) @ series
    # Symmetric exactly, not up to the rounding of the product.
    adj = (2. + corr + corr.transpose(0, 2, 1)) / 4.
    idx = np.arange(adj.shape[-1])
    adj[:, idx, idx] = 1.
    return adj.astype(np.float32)


def smooth_field_connectomes(num_subjects: int = 277, lr_nodes: int = 116,
                             hr_nodes: int = 200, seed: int = 0,
                             fine_regions: Optional[int] = None,
                             num_factors: int = 12, shift: float = 0.4,
                             sharpness: float = 6., time_points: int = 200,
                             noise: float = 0.7, smoothing: float = 0.5
                             ) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired connectomes (see the module doc).

    Args:
        num_subjects (int): ``S``.
        lr_nodes (int): ``N_l``, parcels of the LR atlas.
        hr_nodes (int): ``N_h``, parcels of the HR atlas (``>= N_l``).
        seed (int): seed; equal seeds give equal arrays.
        fine_regions (int, optional): vertices parcellated by both atlases
            (default ``4 * hr_nodes``).
        num_factors (int): smooth factors per subject.
        shift (float): size of the random step of each factor's centre
            (subject-specific topography; ``0``: the population's layout).
        sharpness (float): :math:`\kappa`, larger is more focal.
        time_points (int): length of the series.
        noise (float): standard deviation of the smooth noise.
        smoothing (float): AR(1) coefficient of every series, in ``[0, 1)``.

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` float32, symmetric, in ``[0, 1]``, unit diagonal.

    Raises:
        ValueError: a size that is not a positive int, ``hr_nodes <
            lr_nodes``, more parcels than ``fine_regions``, or a negative
            ``shift``/``noise``, ``sharpness <= 0``, ``smoothing`` outside
            ``[0, 1)``.
    """
    fine_regions = fine_regions or 4 * hr_nodes
    check_generator_sizes(num_subjects, lr_nodes, hr_nodes, fine_regions,
                          num_factors=num_factors, time_points=time_points)
    if not shift >= 0 or not noise >= 0 or not sharpness > 0:
        raise ValueError(f"expected shift >= 0, noise >= 0 and sharpness > 0, "
                         f"got shift={shift!r}, noise={noise!r}, "
                         f"sharpness={sharpness!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    rng = np.random.default_rng(seed)
    coords = _sphere(fine_regions, rng)
    centres = _sphere(num_factors, rng)
    lr_mean = _averaging(_voronoi(coords, lr_nodes, rng), lr_nodes)
    hr_mean = _averaging(_voronoi(coords, hr_nodes, rng), hr_nodes)
    # Spatially smooth noise: white vertex noise through a fixed kernel.
    kernel = _bumps(coords, coords, 4 * sharpness).astype(np.float32)
    kernel /= np.linalg.norm(kernel, axis=1, keepdims=True)

    lr, hr = [], []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        moved = _unit(centres + shift * rng.standard_normal((size, num_factors, 3)))
        amplitude = np.exp(0.5 * rng.standard_normal((size, num_factors, 1)))
        loadings = (amplitude * _bumps(coords, moved, sharpness)).astype(np.float32)
        factors = _bold(rng, (size, time_points, num_factors), smoothing)
        series = factors @ loadings
        series += noise * (_bold(rng, (size, time_points, fine_regions), smoothing)
                           @ kernel)
        lr.append(_signed_correlation(series @ lr_mean))
        hr.append(_signed_correlation(series @ hr_mean))
    return np.concatenate(lr), np.concatenate(hr)


class SmoothFieldConnectomes(GeneratedConnectomes):
    r"""The connectomes of :func:`smooth_field_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'field-0000'``, ...).

    Args:
        num_subjects, lr_nodes, hr_nodes, seed: see
            :func:`smooth_field_connectomes`.
        root (str, optional): cache folder (``None``: in memory only).
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 116,
                 hr_nodes: int = 200, seed: int = 0, root: Optional[str] = None, **pyg_options):
        super().__init__(smooth_field_connectomes, 'smooth-field', 'field', num_subjects,
                         lr_nodes, hr_nodes, seed, root, **pyg_options)
