r"""Simulated paired connectomes from smooth spatial factors whose centres
move between subjects (individual functional topography)."""
from typing import NamedTuple, Optional, Tuple

import numpy as np

from ...utils.validation import check_generator_sizes
from .generated import GeneratedConnectomes, population_and_rng
from .geometry import CHUNK, ar1_series, averaging, bumps, sphere, unit, voronoi


class _Population(NamedTuple):
    coords: np.ndarray   # [V, 3] vertices
    centres: np.ndarray  # [K, 3] the population's factor centres
    lr_mean: np.ndarray  # [V, N_l] LR atlas
    hr_mean: np.ndarray  # [V, N_h] HR atlas


def _draw_population(rng: np.random.Generator, fine_regions: int, num_factors: int,
                     lr_nodes: int, hr_nodes: int) -> _Population:
    coords = sphere(fine_regions, rng)
    centres = sphere(num_factors, rng)
    lr_mean = averaging(voronoi(coords, lr_nodes, rng), lr_nodes)
    hr_mean = averaging(voronoi(coords, hr_nodes, rng), hr_nodes)
    return _Population(coords, centres, lr_mean, hr_mean)


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
                             population_seed: int = 0,
                             fine_regions: Optional[int] = None,
                             num_factors: int = 12, shift: float = 0.4,
                             sharpness: float = 6., time_points: int = 200,
                             noise: float = 0.7, smoothing: float = 0.5
                             ) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired connectomes from smooth factors on a sphere.

    Subject :math:`s` has ``num_factors`` bumps around centres
    :math:`\mathbf{c}_{sk}` (the population's, moved by a random step of size
    ``shift``) with log-normal amplitudes :math:`a_{sk}`:

    .. math::
        x_{sv}(t) = \sum_k a_{sk} e^{\kappa (\mathbf{c}_{sk}^\top
        \mathbf{v} - 1)} f_{sk}(t) + \sigma \epsilon_{sv}(t)

    (AR(1) factor series :math:`f_{sk}`, spatially smooth noise
    :math:`\epsilon`); two Voronoi atlases average the vertex series and the
    connectomes are :math:`(1 + \mathrm{corr}) / 2` between parcels.

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``, parcels of the LR atlas. (default: :obj:`116`)
        hr_nodes (int): ``N_h``, parcels of the HR atlas, ``>= N_l``.
            (default: :obj:`200`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the seed of the population (vertices, factor
            centres, atlases); another ``seed`` alone gives new subjects of
            the same population. (default: :obj:`0`)
        fine_regions (int, optional): vertices (default: ``4 * hr_nodes``)
        num_factors (int): factors per subject. (default: :obj:`12`)
        shift (float): step of each factor's centre. (default: :obj:`0.4`)
        sharpness (float): :math:`\kappa`, larger is more focal. (default: :obj:`6.`)
        time_points (int): length of the series. (default: :obj:`200`)
        noise (float): :math:`\sigma`. (default: :obj:`0.7`)
        smoothing (float): AR(1) coefficient, in ``[0, 1)``. (default: :obj:`0.5`)

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` float32, symmetric, in ``[0, 1]``, unit diagonal.

    Raises:
        ValueError: a bad size, ``shift``, ``noise``, ``sharpness`` or
            ``smoothing``.
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
    population, rng = population_and_rng(
        lambda r: _draw_population(r, fine_regions, num_factors, lr_nodes, hr_nodes),
        seed, population_seed)
    coords = population.coords
    # Spatially smooth noise: white vertex noise through a fixed kernel.
    kernel = bumps(coords, coords, 4 * sharpness).astype(np.float32)
    kernel /= np.linalg.norm(kernel, axis=1, keepdims=True)

    lr, hr = [], []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        moved = unit(population.centres
                     + shift * rng.standard_normal((size, num_factors, 3)))
        amplitude = np.exp(0.5 * rng.standard_normal((size, num_factors, 1)))
        loadings = (amplitude * bumps(coords, moved, sharpness)).astype(np.float32)
        factors = ar1_series(rng, (size, time_points, num_factors), smoothing)
        series = factors @ loadings
        series += noise * (ar1_series(rng, (size, time_points, fine_regions), smoothing)
                           @ kernel)
        lr.append(_signed_correlation(series @ population.lr_mean))
        hr.append(_signed_correlation(series @ population.hr_mean))
    return np.concatenate(lr), np.concatenate(hr)


class SmoothFieldConnectomes(GeneratedConnectomes):
    r"""The connectomes of :func:`smooth_field_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'field-0000'``, ...).

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``. (default: :obj:`116`)
        hr_nodes (int): ``N_h``. (default: :obj:`200`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the population's seed; another ``seed`` alone
            gives new subjects of the same population. (default: :obj:`0`)
        root (str, optional): cache folder (default: :obj:`None`, in memory
            only)
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 116,
                 hr_nodes: int = 200, seed: int = 0, population_seed: int = 0,
                 root: Optional[str] = None, **pyg_options):
        super().__init__(smooth_field_connectomes, 'smooth-field', 'field', num_subjects,
                         lr_nodes, hr_nodes, seed, population_seed=population_seed,
                         root=root, **pyg_options)
