r"""Simulated paired *structural* connectomes from distance-dependent wiring,
on assumptions unlike :mod:`~torch_gsr.datasets.synthetic`'s (no time
series, no correlations).

Per subject ``s``, on ``fine_regions`` vertices of the unit sphere:

1. Fine wiring :math:`w_{uv} = h_u h_v \exp(-d_{uv} / \ell_s) + \sum_k t_{sk}
   \phi_k(u) \psi_k(v)` (symmetrised): short-range wiring that decays with
   the great-circle distance :math:`d_{uv}` at a subject-specific length
   :math:`\ell_s`, scaled by smooth subject-specific "hub" strengths
   :math:`h` (log-normal weights of shared bumps), plus ``num_tracts``
   long-range tracts between shared pairs of bumps
   :math:`(\phi_k, \psi_k)` with log-normal subject-specific strengths
   :math:`t_{sk}`.
2. Two independent, non-nested Voronoi atlases sum the wiring between their
   parcels (mean over vertex pairs), each with its own multiplicative
   log-normal measurement noise of standard deviation ``noise`` (two
   acquisitions, as tractography runs per atlas are).
3. Connectomes are :math:`\log(1 + c\,w)` scaled by the subject's largest
   off-diagonal entry, zero diagonal: values in ``[0, 1]``, heavy-tailed
   like streamline counts.

Everything is drawn from one ``numpy`` generator seeded by ``seed``.
"""
from typing import Optional, Tuple

import numpy as np

from ..utils.validation import check_generator_sizes
from .generated import GeneratedConnectomes
from .smooth_fields import _bumps
from .synthetic import CHUNK, _averaging, _sphere, _voronoi

# Log compression of the wiring strength, on the scale of a parcel mean.
_COMPRESSION = 50.


def _log_scaled(weights: np.ndarray) -> np.ndarray:
    r"""``log(1 + c w)`` per subject, scaled to a largest off-diagonal entry
    of 1, zero diagonal."""
    adj = np.log1p(_COMPRESSION * weights)
    adj = (adj + adj.transpose(0, 2, 1)) / 2  # exactly, not up to rounding
    idx = np.arange(adj.shape[-1])
    adj[:, idx, idx] = 0.
    adj /= adj.max(axis=(1, 2), keepdims=True)
    return adj.astype(np.float32)


def _parcel_wiring(wiring: np.ndarray, averaging: np.ndarray, noise: float,
                   rng: np.random.Generator) -> np.ndarray:
    r"""Mean wiring between parcels ``[S, N, N]`` with symmetric log-normal
    measurement noise."""
    parcel = averaging.T @ wiring @ averaging
    log_noise = rng.standard_normal(parcel.shape).astype(np.float32)
    log_noise = (log_noise + log_noise.transpose(0, 2, 1)) / np.sqrt(2.)
    return _log_scaled(parcel * np.exp(noise * log_noise))


def wiring_connectomes(num_subjects: int = 277, lr_nodes: int = 160,
                       hr_nodes: int = 268, seed: int = 0,
                       fine_regions: Optional[int] = None, num_hubs: int = 16,
                       num_tracts: int = 24, noise: float = 0.3
                       ) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired structural connectomes (see the module doc).

    Args:
        num_subjects (int): ``S``.
        lr_nodes (int): ``N_l``, parcels of the LR atlas.
        hr_nodes (int): ``N_h``, parcels of the HR atlas (``>= N_l``).
        seed (int): seed; equal seeds give equal arrays.
        fine_regions (int, optional): vertices parcellated by both atlases
            (default ``3 * hr_nodes``).
        num_hubs (int): shared bumps whose subject-specific weights make the
            hub strengths :math:`h`.
        num_tracts (int): long-range tracts.
        noise (float): standard deviation of the log-normal measurement
            noise of each atlas.

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` float32, symmetric, in ``[0, 1]``, zero diagonal.

    Raises:
        ValueError: a size that is not a positive int, ``hr_nodes <
            lr_nodes``, more parcels than ``fine_regions``, or ``noise < 0``.
    """
    fine_regions = fine_regions or 3 * hr_nodes
    check_generator_sizes(num_subjects, lr_nodes, hr_nodes, fine_regions,
                          num_hubs=num_hubs, num_tracts=num_tracts)
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    coords = _sphere(fine_regions, rng)
    distance = np.arccos(np.clip(coords @ coords.T, -1., 1.)).astype(np.float32)
    hubs = _bumps(coords, _sphere(num_hubs, rng), 8.).astype(np.float32)
    tract_ends = _bumps(coords, _sphere(2 * num_tracts, rng), 20.).astype(np.float32)
    tract_ends = tract_ends.reshape(2, num_tracts, fine_regions)
    lr_mean = _averaging(_voronoi(coords, lr_nodes, rng), lr_nodes)
    hr_mean = _averaging(_voronoi(coords, hr_nodes, rng), hr_nodes)

    lr, hr = [], []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        length = 0.3 * np.exp(0.3 * rng.standard_normal((size, 1, 1)))
        hub = np.exp(0.6 * rng.standard_normal((size, num_hubs)) @ hubs)
        tract = np.exp(0.8 * rng.standard_normal((size, num_tracts)))
        wiring = hub[:, :, None] * hub[:, None, :] * np.exp(-distance / length)
        long_range = (tract[:, :, None] * tract_ends[0]).transpose(0, 2, 1) @ tract_ends[1]
        wiring = (wiring + long_range + long_range.transpose(0, 2, 1)).astype(np.float32)
        lr.append(_parcel_wiring(wiring, lr_mean, noise, rng))
        hr.append(_parcel_wiring(wiring, hr_mean, noise, rng))
    return np.concatenate(lr), np.concatenate(hr)


class WiringConnectomes(GeneratedConnectomes):
    r"""The structural connectomes of :func:`wiring_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'wiring-0000'``, ...).

    Args:
        num_subjects, lr_nodes, hr_nodes, seed: see
            :func:`wiring_connectomes`.
        root (str, optional): cache folder (``None``: in memory only).
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 160,
                 hr_nodes: int = 268, seed: int = 0, root: Optional[str] = None, **pyg_options):
        super().__init__(wiring_connectomes, 'wiring', 'wiring', num_subjects,
                         lr_nodes, hr_nodes, seed, root, **pyg_options)
