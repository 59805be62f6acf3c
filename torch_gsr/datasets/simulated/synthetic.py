r"""Simulated paired connectomes shaped like the paper's SLIM study: BOLD-like
series on a sphere of fine regions, averaged by two independent atlases."""
from typing import NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .generated import GeneratedConnectomes, population_and_rng
from .geometry import CHUNK, ar1_series, averaging, sphere, voronoi


class _Population(NamedTuple):
    network: np.ndarray       # [V] latent network of each fine region
    lr_parcels: np.ndarray    # [V] LR parcel of each fine region
    hr_parcels: np.ndarray    # [V] HR parcel of each fine region
    base_loading: np.ndarray  # [V] population loading of each fine region


def _draw_population(rng: np.random.Generator, fine_regions: int, num_networks: int,
                     lr_nodes: int, hr_nodes: int) -> _Population:
    coords = sphere(fine_regions, rng)
    network = voronoi(coords, 3 * num_networks, rng) % num_networks
    lr_parcels = voronoi(coords, lr_nodes, rng)
    hr_parcels = voronoi(coords, hr_nodes, rng)
    base_loading = rng.uniform(0.6, 1.4, fine_regions).astype(np.float32)
    return _Population(network, lr_parcels, hr_parcels, base_loading)


def _abs_pearson(series: np.ndarray) -> np.ndarray:
    r"""``|corr|`` ``[S, N, N]`` of ``series`` ``[S, T, N]``, unit diagonal."""
    series = series - series.mean(axis=1, keepdims=True)
    series /= np.linalg.norm(series, axis=1, keepdims=True)
    corr = np.abs(series.transpose(0, 2, 1) @ series)
    idx = np.arange(corr.shape[-1])
    corr[:, idx, idx] = 1.
    return corr


def synthetic_connectomes(num_subjects: int = 277, lr_nodes: int = 160, hr_nodes: int = 268,
                          seed: int = 0, population_seed: int = 0,
                          fine_regions: Optional[int] = None,
                          num_networks: int = 7, time_points: int = 150,
                          noise: float = 1.0, smoothing: float = 0.5,
                          labels: Optional[Sequence[int]] = None,
                          group_effect: float = 0., effect_parcels: int = 6,
                          lr_visibility: float = 1.
                          ) -> Tuple[np.ndarray, np.ndarray]:
    r"""Simulates paired connectomes shaped like the paper's SLIM study.

    Subject :math:`s` has AR(1) series on ``fine_regions`` points :math:`v` of the
    sphere, each in a latent network :math:`n(v)`:

    .. math::
        x_{sv}(t) = l_{sv} \left[c_s \odot M_s f_s(t)\right]_{n(v)}
        + a_s g_s(t) + \sigma \epsilon_{sv}(t)

    (network series :math:`f_s`, mixing :math:`M_s`, coupling :math:`c_s`, global
    signal :math:`g_s`, loadings :math:`l_{sv}`); two Voronoi atlases average them
    and the connectomes are :math:`|\mathrm{corr}|`, unit diagonal. With
    ``labels``, group 1 shares an extra series on ``effect_parcels`` HR parcels.

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``, parcels of the LR atlas. (default: :obj:`160`)
        hr_nodes (int): ``N_h``, parcels of the HR atlas. (default: :obj:`268`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the seed of the population (regions, networks,
            atlases, loadings, affected parcels); another ``seed`` alone gives
            new subjects of it. (default: :obj:`0`)
        fine_regions (int, optional): regions. (default: ``4 * max(lr_nodes, hr_nodes)``)
        num_networks (int): latent networks. (default: :obj:`7`)
        time_points (int): length of the series. (default: :obj:`150`)
        noise (float): :math:`\sigma`. (default: :obj:`1.0`)
        smoothing (float): AR(1) coefficient, in ``[0, 1)``. (default: :obj:`0.5`)
        labels (sequence of int, optional): ``[S]`` group, 0 or 1, of each subject.
            (default: :obj:`None`, no groups)
        group_effect (float): amplitude of group 1's series. (default: :obj:`0.`)
        effect_parcels (int): HR parcels it affects. (default: :obj:`6`)
        lr_visibility (float): how much of it the LR atlas sees, from 1 (plain
            averaging) to 0 (none). (default: :obj:`1.`)

    Returns:
        (numpy.ndarray, numpy.ndarray): LR ``[S, N_l, N_l]`` and HR ``[S, N_h, N_h]``
        float32, symmetric, in ``[0, 1]``, unit diagonal.
    """
    fine_regions = fine_regions or 4 * max(lr_nodes, hr_nodes)
    population, rng = population_and_rng(
        lambda r: _draw_population(r, fine_regions, num_networks, lr_nodes, hr_nodes),
        seed, population_seed)
    lr_mean = averaging(population.lr_parcels, lr_nodes)
    hr_mean = averaging(population.hr_parcels, hr_nodes)
    group = _GroupEffect(labels, num_subjects, group_effect, effect_parcels,
                         lr_visibility, population.lr_parcels, population.hr_parcels,
                         seed, population_seed)

    lr, hr = [], []
    for start in range(0, num_subjects, CHUNK):
        size = min(CHUNK, num_subjects - start)
        coupling = np.exp(0.6 * rng.standard_normal((size, num_networks)))
        mixing = np.eye(num_networks) + 0.4 * rng.standard_normal(
            (size, num_networks, num_networks))
        global_amplitude = 0.8 * np.exp(0.5 * rng.standard_normal((size, 1, 1)))
        loading = population.base_loading * np.exp(
            0.3 * rng.standard_normal((size, fine_regions)))

        networks = ar1_series(rng, (size, time_points, num_networks), smoothing)
        networks = (networks @ mixing.transpose(0, 2, 1)) * coupling[:, None, :]
        series = networks[:, :, population.network] * loading[:, None, :]
        series += global_amplitude * ar1_series(rng, (size, time_points, 1), smoothing)
        series += noise * ar1_series(rng, (size, time_points, fine_regions), smoothing)
        series += group.series(start, size, time_points, smoothing)
        series = series.astype(np.float32)
        lr.append(_abs_pearson(series @ lr_mean))
        hr.append(_abs_pearson(series @ hr_mean))
    return np.concatenate(lr), np.concatenate(hr)


class _GroupEffect:
    r"""The group-1 signal of :func:`synthetic_connectomes`: one shared
    AR(1) time course on the fine regions of ``num_parcels`` random HR
    parcels, minus ``1 - lr_visibility`` times its average over each LR
    parcel, drawn from generators of its own."""
    def __init__(self, labels, num_subjects: int, amplitude: float, num_parcels: int,
                 lr_visibility: float, lr_parcels: np.ndarray, hr_parcels: np.ndarray,
                 seed: int, population_seed: int):
        self.labels = None if labels is None else np.asarray(labels)
        if self.labels is not None and self.labels.shape != (num_subjects,):
            raise ValueError(f"labels must have shape [{num_subjects}], got "
                             f"{list(self.labels.shape)}")
        if self.labels is not None and not np.isin(self.labels, (0, 1)).all():
            raise ValueError("labels must be 0 or 1")
        self.amplitude = amplitude
        num_hr = hr_parcels.max() + 1
        # Seeded by [seed, 1], [population_seed, 1]: apart from the connectomes'
        # stream, so that label-0 subjects are the same as without groups.
        self.parcels, self.rng = population_and_rng(
            lambda r: r.permutation(num_hr)[:num_parcels], [seed, 1], [population_seed, 1])
        regions = np.isin(hr_parcels, self.parcels).astype(np.float32)
        lr_average = regions @ averaging(lr_parcels, lr_parcels.max() + 1)
        self.regions = regions - (1 - lr_visibility) * lr_average[lr_parcels]

    def series(self, start: int, size: int, time_points: int, smoothing: float):
        if self.labels is None or self.amplitude == 0:
            return 0.
        shared = ar1_series(self.rng, (size, time_points, 1), smoothing)
        in_group = self.labels[start:start + size, None, None]
        return self.amplitude * in_group * shared * self.regions


class SyntheticConnectomes(GeneratedConnectomes):
    r"""The simulated connectomes of :func:`synthetic_connectomes` as a
    :class:`PairedConnectomes` dataset (subject ids ``'sim-0000'``, ...), the
    default data when no real data is given.

    ``SyntheticConnectomes(20, seed=1)`` holds 20 new subjects of the default
    population (the one of ``SyntheticConnectomes()``); ``population_seed``
    draws another population.

    Args:
        num_subjects (int): ``S``. (default: :obj:`277`)
        lr_nodes (int): ``N_l``. (default: :obj:`160`)
        hr_nodes (int): ``N_h``. (default: :obj:`268`)
        seed (int): the subjects' seed. (default: :obj:`0`)
        population_seed (int): the population's seed (atlases, networks).
            (default: :obj:`0`)
        root (str, optional): cache folder (default: :obj:`None`, in memory
            only)
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, num_subjects: int = 277, lr_nodes: int = 160, hr_nodes: int = 268,
                 seed: int = 0, population_seed: int = 0, root: Optional[str] = None,
                 **pyg_options):
        super().__init__(synthetic_connectomes, 'synthetic', 'sim', num_subjects,
                         lr_nodes, hr_nodes, seed, population_seed=population_seed,
                         root=root, **pyg_options)
