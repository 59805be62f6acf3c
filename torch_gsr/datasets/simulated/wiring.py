r"""Simulated paired *structural* connectomes from distance-dependent wiring
(no time series, no correlations)."""
from typing import NamedTuple, Optional, Tuple

import numpy as np

from ...utils.validation import check_generator_sizes
from .generated import GeneratedConnectomes, population_and_rng
from .geometry import CHUNK, averaging, bumps, sphere, voronoi

# Log compression of the wiring strength, on the scale of a parcel mean.
_COMPRESSION = 50.


class _Population(NamedTuple):
    distance: np.ndarray    # [V, V] great-circle distances
    hubs: np.ndarray        # [H, V] hub bumps
    tract_ends: np.ndarray  # [2, K, V] bumps at both ends of each tract
    lr_mean: np.ndarray     # [V, N_l] LR atlas
    hr_mean: np.ndarray     # [V, N_h] HR atlas


def _draw_population(rng: np.random.Generator, fine_regions: int, num_hubs: int,
                     num_tracts: int, lr_nodes: int, hr_nodes: int) -> _Population:
    coords = sphere(fine_regions, rng)
    distance = np.arccos(np.clip(coords @ coords.T, -1., 1.)).astype(np.float32)
    hubs = bumps(coords, sphere(num_hubs, rng), 8.).astype(np.float32)
    tract_ends = bumps(coords, sphere(2 * num_tracts, rng), 20.).astype(np.float32)
    tract_ends = tract_ends.reshape(2, num_tracts, fine_regions)
    lr_mean = averaging(voronoi(coords, lr_nodes, rng), lr_nodes)
    hr_mean = averaging(voronoi(coords, hr_nodes, rng), hr_nodes)
    return _Population(distance, hubs, tract_ends, lr_mean, hr_mean)


def _log_scaled(weights: np.ndarray) -> np.ndarray:
    r"""``log(1 + c w)`` per subject, scaled to a largest off-diagonal entry
    of 1, zero diagonal."""
    adj = np.log1p(_COMPRESSION * weights)
    adj = (adj + adj.transpose(0, 2, 1)) / 2  # exactly, not up to rounding
    idx = np.arange(adj.shape[-1])
    adj[:, idx, idx] = 0.
    adj /= adj.max(axis=(1, 2), keepdims=True)
    return adj.astype(np.float32)


def _parcel_wiring(wiring: np.ndarray, mean: np.ndarray, noise: float,
                   rng: np.random.Generator) -> np.ndarray:
    r"""Mean wiring between parcels ``[S, N, N]`` with symmetric log-normal
    measurement noise."""
    parcel = mean.T @ wiring @ mean
    log_noise = rng.standard_normal(parcel.shape).astype(np.float32)
    log_noise = (log_noise + log_noise.transpose(0, 2, 1)) / np.sqrt(2.)
    return _log_scaled(parcel * np.exp(noise * log_noise))


def wiring_connectomes(num_subjects: int = 277, lr_nodes: int = 160,
                       hr_nodes: int = 268, seed: int = 0, population_seed: int = 0,
                       fine_regions: Optional[int] = None, num_hubs: int = 16,
                       num_tracts: int = 24, noise: float = 0.3
                       ) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired structural connectomes from distance-dependent wiring.

    Subject :math:`s` wires the vertices :math:`u, v` of the unit sphere by

    .. math::
        w_{suv} = h_{su} h_{sv} e^{-d_{uv} / \ell_s}
        + \sum_k t_{sk} \phi_k(u) \psi_k(v)

    (symmetrised; great-circle distance :math:`d_{uv}`, subject length
    :math:`\ell_s`, smooth hub strengths :math:`h_s`, tracts between the
    bumps :math:`\phi_k, \psi_k` with strengths :math:`t_{sk}`); two Voronoi
    atlases average it between parcels, each with its own log-normal
    measurement noise, and the connectomes are :math:`\log(1 + c\,w)` scaled
    to a largest off-diagonal entry of 1, zero diagonal.

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``, parcels of the LR atlas. (default: :obj:`160`)
        hr_nodes (int): ``N_h``, parcels of the HR atlas, ``>= N_l``.
            (default: :obj:`268`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the seed of the population (vertices, hubs,
            tracts, atlases); another ``seed`` alone gives new subjects of the
            same population. (default: :obj:`0`)
        fine_regions (int, optional): vertices (default: ``3 * hr_nodes``)
        num_hubs (int): bumps making the hub strengths. (default: :obj:`16`)
        num_tracts (int): long-range tracts. (default: :obj:`24`)
        noise (float): log-standard deviation of the measurement noise.
            (default: :obj:`0.3`)

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` float32, symmetric, in ``[0, 1]``, zero diagonal.

    Raises:
        ValueError: a bad size or ``noise < 0``.
    """
    fine_regions = fine_regions or 3 * hr_nodes
    check_generator_sizes(num_subjects, lr_nodes, hr_nodes, fine_regions,
                          num_hubs=num_hubs, num_tracts=num_tracts)
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    population, rng = population_and_rng(
        lambda r: _draw_population(r, fine_regions, num_hubs, num_tracts, lr_nodes,
                                   hr_nodes),
        seed, population_seed)
    tract_ends = population.tract_ends

    lr, hr = [], []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        length = 0.3 * np.exp(0.3 * rng.standard_normal((size, 1, 1)))
        hub = np.exp(0.6 * rng.standard_normal((size, num_hubs)) @ population.hubs)
        tract = np.exp(0.8 * rng.standard_normal((size, num_tracts)))
        wiring = hub[:, :, None] * hub[:, None, :] * np.exp(-population.distance / length)
        long_range = (tract[:, :, None] * tract_ends[0]).transpose(0, 2, 1) @ tract_ends[1]
        wiring = (wiring + long_range + long_range.transpose(0, 2, 1)).astype(np.float32)
        lr.append(_parcel_wiring(wiring, population.lr_mean, noise, rng))
        hr.append(_parcel_wiring(wiring, population.hr_mean, noise, rng))
    return np.concatenate(lr), np.concatenate(hr)


class WiringConnectomes(GeneratedConnectomes):
    r"""The structural connectomes of :func:`wiring_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'wiring-0000'``, ...).

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``. (default: :obj:`160`)
        hr_nodes (int): ``N_h``. (default: :obj:`268`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the population's seed; another ``seed`` alone
            gives new subjects of the same population. (default: :obj:`0`)
        root (str, optional): cache folder (default: :obj:`None`, in memory
            only)
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 160,
                 hr_nodes: int = 268, seed: int = 0, population_seed: int = 0,
                 root: Optional[str] = None, **pyg_options):
        super().__init__(wiring_connectomes, 'wiring', 'wiring', num_subjects,
                         lr_nodes, hr_nodes, seed, population_seed=population_seed,
                         root=root, **pyg_options)
