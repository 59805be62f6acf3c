r"""One entry point for every supported data source, shared by the command
line and the examples: :func:`load_dataset` reads a SLIM folder, a pair of
challenge ``.csv``/``.mat`` files, a pair of ``.npy``/``.npz`` files, or (no
path) the embedded simulated data, guessing the format from the paths."""
import os.path as osp
from typing import Optional

from .paired_connectomes import PairedConnectomes
from .simulated import SyntheticConnectomes

FORMATS = ('auto', 'numpy', 'challenge', 'slim', 'synthetic')
EXTENSION_FORMATS = {'.npy': 'numpy', '.npz': 'numpy', '.csv': 'challenge',
                     '.mat': 'challenge'}


def detect_format(lr_path: Optional[str], hr_path: Optional[str] = None) -> str:
    r"""The format of ``lr_path`` (and ``hr_path``): ``"synthetic"`` without a
    path, ``"slim"`` for a folder, else by file extension (``.npy``/``.npz``:
    ``"numpy"``, ``.csv``/``.mat``: ``"challenge"``)."""
    if lr_path is None:
        return 'synthetic'
    if osp.isdir(lr_path):
        return 'slim'
    formats = {_extension_format(p) for p in (lr_path, hr_path) if p is not None}
    if len(formats) > 1:
        raise ValueError(f"{lr_path} and {hr_path} have different formats "
                         f"(expected both numpy or both challenge files)")
    return formats.pop()


def _extension_format(path: str) -> str:
    extension = osp.splitext(path)[1].lower()
    if extension not in EXTENSION_FORMATS:
        raise ValueError(f"{path}: cannot tell the format from the extension "
                         f"{extension!r} (expected a SLIM folder or one of "
                         f"{sorted(EXTENSION_FORMATS)})")
    return EXTENSION_FORMATS[extension]


def load_dataset(lr_path: Optional[str] = None, hr_path: Optional[str] = None,
                 format: str = 'auto', order: str = 'tril',
                 lr_parcellation: str = 'Dosenbach_160',
                 hr_parcellation: str = 'shen_268', session: str = 'session_1',
                 num_subjects: int = 277, lr_nodes: int = 160,
                 hr_nodes: int = 268, seed: int = 0, population_seed: int = 0,
                 progress: bool = False,
                 **kwargs) -> PairedConnectomes:
    r"""Loads paired (or, without ``hr_path``, LR-only) connectomes.

    Args:
        lr_path (str, optional): LR file, or the SLIM root folder; ``None``
            for the embedded :class:`SyntheticConnectomes`.
            (default: :obj:`None`)
        hr_path (str, optional): HR file (files formats only; ``None``:
            LR-only data, e.g. a test set to predict). (default: :obj:`None`)
        format (str): one of :obj:`FORMATS`; ``"auto"`` uses
            :func:`detect_format`. (default: :obj:`"auto"`)
        order (str): ``"tril"`` or ``"triu"``, vector order of challenge
            files. (default: :obj:`"tril"`)
        lr_parcellation (str): SLIM folder of the LR parcellation.
            (default: :obj:`"Dosenbach_160"`)
        hr_parcellation (str): SLIM folder of the HR parcellation.
            (default: :obj:`"shen_268"`)
        session (str): SLIM session folder. (default: :obj:`"session_1"`)
        num_subjects (int): synthetic data: subjects. (default: :obj:`277`)
        lr_nodes (int): synthetic data: LR nodes. (default: :obj:`160`)
        hr_nodes (int): synthetic data: HR nodes. (default: :obj:`268`)
        seed (int): synthetic data: the subjects' seed. (default: :obj:`0`)
        population_seed (int): synthetic data: the population's seed.
            (default: :obj:`0`)
        progress (bool): report the files read from a SLIM folder
            (:mod:`torch_gsr.utils.progress`). (default: :obj:`False`)
        **kwargs: passed to the :class:`PairedConnectomes` constructor
            (``root``, ``clean``, ``transform``, ...).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    if format == 'auto':
        format = detect_format(lr_path, hr_path)
    if format == 'synthetic':
        return SyntheticConnectomes(num_subjects, lr_nodes, hr_nodes, seed,
                                    population_seed=population_seed, **kwargs)
    if lr_path is None:
        raise ValueError(f"format {format!r} needs a data path")
    if format == 'slim':
        if not osp.isdir(lr_path):
            raise FileNotFoundError(f"{lr_path}: no such SLIM folder")
        return PairedConnectomes.from_slim(lr_path, lr_parcellation,
                                           hr_parcellation, session,
                                           progress=progress, **kwargs)
    if format == 'numpy':
        return PairedConnectomes.from_numpy_files(lr_path, hr_path, **kwargs)
    return PairedConnectomes.from_challenge(lr_path, hr_path, order, **kwargs)
