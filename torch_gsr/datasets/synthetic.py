r"""Simulated paired connectomes shaped like the paper's SLIM study.

The simulation, per subject ``s``:

1. A fixed "cortex" of ``fine_regions`` points on the unit sphere, split into
   ``num_networks`` latent networks, each made of three spatially separate
   blobs (distributed networks, as in resting-state fMRI).
2. Subject-specific parameters: a log-normal coupling strength per network,
   a random mixing between the network time courses (between-network
   connectivity), a global-signal amplitude, and log-normal per-region
   loadings.
3. BOLD-like time series at every fine region: global signal plus the
   region's network time course, scaled by coupling and loading, plus
   independent noise; all sources are temporally smoothed by an AR(1) filter.
4. Two independent, non-nested atlases (random Voronoi parcellations of the
   sphere into ``lr_nodes`` and ``hr_nodes`` parcels) average the fine
   series into parcel series; the absolute Pearson correlations between
   parcels, with a unit diagonal, are the LR and HR connectomes.

LR and HR are therefore two views of the same subject: the subject-specific
parameters shape both (block strengths, between-network structure, overall
scale), so the LR graph predicts the subject-specific part of the HR graph.
Everything is drawn from one ``numpy`` generator seeded by ``seed``.

Optionally (``labels``, ``group_effect``) the subjects fall into groups that
differ in connections at the scale of the HR atlas: in every subject with
label 1, a few HR parcels (``effect_parcels``, at random) share an
extra common time course, so they become strongly connected to each other.
The LR atlas's parcels are larger and not aligned with the HR ones: each
mixes a part of an affected HR parcel with unaffected regions, so the
effect reaches the LR connectome only diluted. With ``lr_visibility < 1``
the signal's average over each LR parcel is (partly) subtracted from that
parcel's regions: at 0 every LR parcel averages it away exactly and only the
HR atlas resolves the groups. Its draws come from a second generator, so the
connectomes of label-0 subjects are the same as without groups.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import scipy.signal

from .generated import GeneratedConnectomes

CHUNK = 32


def _sphere(num_points: int, rng: np.random.Generator) -> np.ndarray:
    points = rng.standard_normal((num_points, 3))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _voronoi(coords: np.ndarray, num_parcels: int, rng: np.random.Generator) -> np.ndarray:
    r"""Parcel of each point: its nearest of ``num_parcels`` centres drawn among
    the points themselves, so no parcel is empty."""
    centres = coords[rng.choice(len(coords), num_parcels, replace=False)]
    return np.argmax(coords @ centres.T, axis=1)


def _averaging(parcels: np.ndarray, num_parcels: int) -> np.ndarray:
    r"""``[V, N]`` matrix averaging fine series into parcel series."""
    onehot = np.zeros((len(parcels), num_parcels), dtype=np.float32)
    onehot[np.arange(len(parcels)), parcels] = 1.
    return onehot / onehot.sum(axis=0, keepdims=True)


def _abs_pearson(series: np.ndarray) -> np.ndarray:
    r"""``|corr|`` ``[S, N, N]`` of ``series`` ``[S, T, N]``, unit diagonal."""
    series = series - series.mean(axis=1, keepdims=True)
    series /= np.linalg.norm(series, axis=1, keepdims=True)
    corr = np.abs(series.transpose(0, 2, 1) @ series)
    idx = np.arange(corr.shape[-1])
    corr[:, idx, idx] = 1.
    return corr


def _bold(rng: np.random.Generator, shape: Tuple[int, ...], smoothing: float) -> np.ndarray:
    r"""AR(1)-smoothed white noise ``shape`` with time on axis 1, unit variance."""
    white = rng.standard_normal(shape, dtype=np.float32)
    series = scipy.signal.lfilter([np.sqrt(1 - smoothing ** 2)], [1., -smoothing], white, axis=1)
    return series.astype(np.float32)


def synthetic_connectomes(num_subjects: int = 277, lr_nodes: int = 160, hr_nodes: int = 268,
                          seed: int = 0, fine_regions: Optional[int] = None,
                          num_networks: int = 7, time_points: int = 150,
                          noise: float = 1.0, smoothing: float = 0.5,
                          labels: Optional[Sequence[int]] = None,
                          group_effect: float = 0., effect_parcels: int = 6,
                          lr_visibility: float = 1.
                          ) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired connectomes (see the module doc).

    Args:
        num_subjects (int): ``S``.
        lr_nodes (int): ``N_l``, parcels of the LR atlas.
        hr_nodes (int): ``N_h``, parcels of the HR atlas.
        seed (int): seed; equal seeds give equal arrays.
        fine_regions (int, optional): fine regions parcellated by both atlases
            (default ``4 * max(lr_nodes, hr_nodes)``).
        num_networks (int): latent networks.
        time_points (int): length of the BOLD-like series.
        noise (float): standard deviation of the region-level noise.
        smoothing (float): AR(1) coefficient of every source, in ``[0, 1)``.
        labels (sequence of int, optional): ``[S]`` group of each subject,
            0 or 1 (see the module doc; ``None``: no groups).
        group_effect (float): amplitude of the time course shared by the
            affected HR parcels in group 1.
        effect_parcels (int): how many HR parcels it affects.
        lr_visibility (float): how much of it the LR atlas sees: 1 is plain
            averaging (diluted); 0 cancels it in every LR parcel, so the LR
            connectomes carry no trace of the groups (see the module doc).

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR
        ``[S, N_h, N_h]`` float32, symmetric, in ``[0, 1]``, unit diagonal.
    """
    rng = np.random.default_rng(seed)
    fine_regions = fine_regions or 4 * max(lr_nodes, hr_nodes)
    coords = _sphere(fine_regions, rng)
    network = _voronoi(coords, 3 * num_networks, rng) % num_networks
    lr_parcels = _voronoi(coords, lr_nodes, rng)
    lr_mean = _averaging(lr_parcels, lr_nodes)
    hr_parcels = _voronoi(coords, hr_nodes, rng)
    hr_mean = _averaging(hr_parcels, hr_nodes)
    base_loading = rng.uniform(0.6, 1.4, fine_regions).astype(np.float32)
    group = _GroupEffect(labels, num_subjects, group_effect, effect_parcels,
                         lr_visibility, lr_parcels, hr_parcels, seed)

    lr, hr = [], []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        coupling = np.exp(0.6 * rng.standard_normal((size, num_networks)))
        mixing = np.eye(num_networks) + 0.4 * rng.standard_normal(
            (size, num_networks, num_networks))
        global_amplitude = 0.8 * np.exp(0.5 * rng.standard_normal((size, 1, 1)))
        loading = base_loading * np.exp(0.3 * rng.standard_normal((size, fine_regions)))

        networks = _bold(rng, (size, time_points, num_networks), smoothing)
        networks = (networks @ mixing.transpose(0, 2, 1)) * coupling[:, None, :]
        series = networks[:, :, network] * loading[:, None, :]
        series += global_amplitude * _bold(rng, (size, time_points, 1), smoothing)
        series += noise * _bold(rng, (size, time_points, fine_regions), smoothing)
        series += group.series(start, size, time_points, smoothing)
        series = series.astype(np.float32)
        lr.append(_abs_pearson(series @ lr_mean))
        hr.append(_abs_pearson(series @ hr_mean))
    return np.concatenate(lr), np.concatenate(hr)


class _GroupEffect:
    r"""The group-1 signal of :func:`synthetic_connectomes`: one shared
    AR(1) time course on the fine regions of ``effect_parcels`` random HR
    parcels, minus ``1 - lr_visibility`` times its average over each LR
    parcel, drawn from its own generator."""
    def __init__(self, labels, num_subjects: int, amplitude: float, num_parcels: int,
                 lr_visibility: float, lr_parcels: np.ndarray, hr_parcels: np.ndarray,
                 seed: int):
        self.labels = None if labels is None else np.asarray(labels)
        if self.labels is not None and self.labels.shape != (num_subjects,):
            raise ValueError(f"labels must have shape [{num_subjects}], got "
                             f"{list(self.labels.shape)}")
        if self.labels is not None and not np.isin(self.labels, (0, 1)).all():
            raise ValueError("labels must be 0 or 1")
        self.amplitude = amplitude
        self.rng = np.random.default_rng([seed, 1])
        self.parcels = self.rng.permutation(hr_parcels.max() + 1)[:num_parcels]
        regions = np.isin(hr_parcels, self.parcels).astype(np.float32)
        lr_average = regions @ _averaging(lr_parcels, lr_parcels.max() + 1)
        self.regions = regions - (1 - lr_visibility) * lr_average[lr_parcels]

    def series(self, start: int, size: int, time_points: int, smoothing: float):
        if self.labels is None or self.amplitude == 0:
            return 0.
        shared = _bold(self.rng, (size, time_points, 1), smoothing)
        in_group = self.labels[start:start + size, None, None]
        return self.amplitude * in_group * shared * self.regions


class SyntheticConnectomes(GeneratedConnectomes):
    r"""The simulated connectomes of :func:`synthetic_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'sim-0000'``, ...), the
    default data when no real data is given.

    Args:
        num_subjects, lr_nodes, hr_nodes, seed: see :func:`synthetic_connectomes`.
        root (str, optional): cache folder (``None``: in memory only).
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 160, hr_nodes: int = 268,
                 seed: int = 0, root: Optional[str] = None, **pyg_options):
        super().__init__(synthetic_connectomes, 'synthetic', 'sim', num_subjects,
                         lr_nodes, hr_nodes, seed, root, **pyg_options)
