r"""Paired LR/HR connectomes of many subjects as a PyG ``InMemoryDataset``."""
import hashlib
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from torch_geometric.data import InMemoryDataset

from ..utils.io import atomic_path
from .challenge import read_challenge_csv, read_challenge_mat
from .cleaning import clean_connectomes
from .connectome_pair import ConnectomePair
from .files import read_numpy

CLEANING_STEPS = ('nonfinite', 'negatives', 'symmetric', 'diagonal')
NO_CLEANING = dict(nonfinite=None, negatives=None, symmetric=False, diagonal=None)


def cleaning_options(clean: Union[bool, dict]) -> dict:
    r"""Keyword arguments of :func:`clean_connectomes` for ``clean``: ``True``
    (the defaults), ``False`` (every step off, checks only) or a dict
    overriding some defaults."""
    if isinstance(clean, bool):
        return {} if clean else dict(NO_CLEANING)
    unknown = set(clean) - set(CLEANING_STEPS)
    if unknown:
        raise ValueError(f"unknown cleaning steps {sorted(unknown)} "
                         f"(expected some of {CLEANING_STEPS})")
    return dict(clean)


class PairedConnectomes(InMemoryDataset):
    r"""Paired LR/HR connectomes, one :class:`ConnectomePair` per subject.

    Usually built through a constructor: :meth:`from_numpy`,
    :meth:`from_numpy_files`, :meth:`from_challenge`, :meth:`from_slim`.

    Args:
        root (str, optional): cache folder; the processed pairs are saved under
            ``root/processed``. ``None`` keeps everything in memory.
        reader (callable): returns ``(lr, hr, subjects, lr_source, hr_source)``:
            arrays ``[S, N_l, N_l]``, ``[S, N_h, N_h]`` (``hr`` may be ``None``
            for LR-only data), subject ids, and the names of the sources used
            in error messages; optionally a sixth item, a group label per
            subject (each pair's ``group``: the samples kept together by
            every split, docs/training.md).
        name (str): identifies the source in the processed file name.
            (default: :obj:`'pairs'`)
        clean (bool or dict): cleaning, see :func:`cleaning_options`.
            (default: :obj:`True`)
        transform (callable, optional): as in PyG. (default: :obj:`None`)
        pre_transform (callable, optional): as in PyG. (default: :obj:`None`)
        pre_filter (callable, optional): as in PyG. (default: :obj:`None`)
        force_reload (bool): as in PyG. (default: :obj:`False`)
    """
    def __init__(self, root: Optional[str], reader: Callable, name: str = 'pairs',
                 clean: Union[bool, dict] = True, transform: Optional[Callable] = None,
                 pre_transform: Optional[Callable] = None,
                 pre_filter: Optional[Callable] = None, force_reload: bool = False):
        self.reader = reader
        self.name = name
        self.clean = cleaning_options(clean)
        self.in_memory = root is None  # nothing cached on disk
        super().__init__(root, transform, pre_transform, pre_filter,
                         force_reload=force_reload)
        if self.in_memory:
            self._data, self.slices = self.collate(self._pairs())
        else:
            self.load(self.processed_paths[0], data_cls=ConnectomePair)

    @property
    def processed_file_names(self) -> List[str]:
        """One file per data set and cleaning configuration."""
        digest = hashlib.sha1(repr(sorted(self.clean.items())).encode()).hexdigest()[:8]
        return [f'{self.name}-{digest}.pt']

    @property
    def has_process(self) -> bool:
        """Whether there is a processed file to write (not for in-memory data)."""
        # In memory (no root) there is nothing to process to disk: the pairs
        # are built in __init__.
        return not self.in_memory

    def process(self):
        """Reads, cleans and checks the pairs, then saves them atomically."""
        pairs = self._pairs()
        with atomic_path(self.processed_paths[0]) as tmp:
            self.save(pairs, tmp)

    def _pairs(self) -> List[ConnectomePair]:
        lr, hr, subjects, lr_source, hr_source, *groups = self.reader()
        subjects = [str(s) for s in subjects]
        if groups and groups[0] is not None and len(groups[0]) != len(subjects):
            raise ValueError(f"{lr_source}: {len(subjects)} subjects but "
                             f"{len(groups[0])} group labels")
        labels = [] if not groups or groups[0] is None else [str(g) for g in groups[0]]
        lr = clean_connectomes(lr, lr_source, subjects, **self.clean)
        if len(subjects) != len(lr):
            raise ValueError(f"{lr_source}: {len(lr)} subjects but {len(subjects)} ids")
        if hr is not None:
            hr = clean_connectomes(hr, hr_source, subjects, **self.clean)
            if len(hr) != len(lr):
                raise ValueError(f"{lr_source} has {len(lr)} subjects but {hr_source} "
                                 f"has {len(hr)}: they must pair one to one")
        pairs = [ConnectomePair(lr[i], None if hr is None else hr[i], subject=s,
                                **({'group': labels[i]} if labels else {}))
                 for i, s in enumerate(subjects)]
        if self.pre_filter is not None:
            pairs = [pair for pair in pairs if self.pre_filter(pair)]
        if self.pre_transform is not None:
            pairs = [self.pre_transform(pair) for pair in pairs]
        return pairs

    @classmethod
    def from_numpy(cls, lr, hr=None, subjects: Optional[Sequence[str]] = None,
                   root: Optional[str] = None, name: str = 'numpy',
                   groups: Optional[Sequence] = None, **kwargs):
        r"""From arrays ``lr`` ``[S, N_l, N_l]`` and ``hr`` ``[S, N_h, N_h]``
        (numpy or torch). Subject ids default to ``'0', '1', ...``;
        ``groups`` gives each pair a ``group`` (its subject, run or site:
        kept together by every split); with a ``root``, pass a ``name``
        unique to these arrays (the cache key)."""
        def reader():
            ids = subjects if subjects is not None else range(len(lr))
            return (np.asarray(lr), None if hr is None else np.asarray(hr), ids, 'lr', 'hr',
                    groups)
        return cls(root, reader, name=name, **kwargs)

    @classmethod
    def from_numpy_files(cls, lr_path: str, hr_path: Optional[str] = None,
                         lr_key: Optional[str] = None, hr_key: Optional[str] = None,
                         root: Optional[str] = None, **kwargs):
        r"""From ``.npy`` files, or ``.npz`` files (array under ``lr_key`` /
        ``hr_key``, default: the only array), ``[S, N, N]`` each."""
        def reader():
            lr = read_numpy(lr_path, lr_key)
            hr = None if hr_path is None else read_numpy(hr_path, hr_key)
            return lr, hr, range(len(lr)), lr_path, hr_path
        return cls(root, reader, name=_file_name('numpy', lr_path, hr_path), **kwargs)

    @classmethod
    def from_challenge(cls, lr_path: str, hr_path: Optional[str] = None,
                       order: str = 'tril', root: Optional[str] = None, **kwargs):
        r"""From the challenge's vectorised ``.csv`` files or ``.mat`` files
        (keys ``LR``/``HR``), see :mod:`torch_gsr.datasets.challenge`. Subject
        ids are the row numbers ``'0', '1', ...``; ``hr_path=None`` loads an
        LR-only test set."""
        def reader():
            lr = _read_challenge(lr_path, 'LR', order)
            hr = None if hr_path is None else _read_challenge(hr_path, 'HR', order)
            return lr, hr, range(len(lr)), lr_path, hr_path
        return cls(root, reader, name=_file_name(f'challenge_{order}', lr_path, hr_path),
                   **kwargs)

    @classmethod
    def from_slim(cls, slim_root: str, lr_parcellation: str = 'Dosenbach_160',
                  hr_parcellation: str = 'shen_268', session: str = 'session_1',
                  root: Optional[str] = None, progress: bool = False, **kwargs):
        r"""From the SLIM layout ``slim_root/<subject>/<session>/<parcellation>/
        ROI_FC.mat`` (see :func:`~torch_gsr.datasets.read_slim`; ``progress``
        reports the files read)."""
        from .slim import FILE_NAME, read_slim

        def reader():
            lr, hr, subjects = read_slim(slim_root, lr_parcellation, hr_parcellation,
                                         session, progress)
            source = osp.join(slim_root, '<subject>', session, '{}', FILE_NAME)
            return (lr, hr, subjects, source.format(lr_parcellation),
                    source.format(hr_parcellation))
        name = _file_name(f'slim_{lr_parcellation}_{hr_parcellation}', slim_root)
        return cls(root, reader, name=name, **kwargs)


def _read_challenge(path: str, key: str, order: str):
    if str(path).endswith('.mat'):
        return read_challenge_mat(path, key, order)
    return read_challenge_csv(path, order)


def _file_name(prefix: str, *paths) -> str:
    """A cache name that changes with the (absolute) source paths."""
    joined = '|'.join(osp.abspath(p) for p in paths if p is not None)
    return f'{prefix}-{hashlib.sha1(joined.encode()).hexdigest()[:8]}'
