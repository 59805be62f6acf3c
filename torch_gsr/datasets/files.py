r"""File helpers shared by the readers and writers: existence checks, and MATLAB ``.mat`` / numpy ``.npy``/``.npz`` matrices."""
import os
import os.path as osp
from typing import Optional

import numpy as np
import scipy.io

from ..utils.io import atomic_path


def check_file(path: str) -> str:
    """Returns ``path`` as a string, raising if it is not an existing file."""
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    return path


def read_mat(path: str, key: str) -> np.ndarray:
    r"""The array stored under ``key`` in the MATLAB file ``path``."""
    path = check_file(path)
    try:
        content = scipy.io.loadmat(path)
    except Exception as error:  # scipy raises many types on malformed files
        raise ValueError(f"{path}: could not be read as a MATLAB .mat file "
                         f"(v4-v7.2 expected): {error}") from error
    if key not in content:
        found = sorted(k for k in content if not k.startswith('__'))
        raise ValueError(f"{path}: has no variable {key!r} (found {found})")
    return np.asarray(content[key], dtype=np.float64)


def write_mat(path: str, arrays: dict) -> None:
    """Writes ``{name: array}`` to the MATLAB file ``path``, atomically."""
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        scipy.io.savemat(f, arrays)


def read_numpy(path: str, key: Optional[str] = None) -> np.ndarray:
    r"""An array from ``.npy``, or from ``.npz`` under ``key`` (default: its
    only array)."""
    path = check_file(path)
    try:
        content = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: could not be read as .npy/.npz: {error}") from error
    if isinstance(content, np.ndarray):
        return content
    with content:
        if key is None and len(content.files) != 1:
            raise ValueError(f"{path}: holds arrays {content.files}; pass the key to read")
        key = key if key is not None else content.files[0]
        if key not in content.files:
            raise ValueError(f"{path}: has no array {key!r} (found {content.files})")
        return content[key]


def write_numpy(path: str, array: Optional[np.ndarray] = None, **arrays) -> None:
    r"""Writes ``array`` as ``.npy``, or ``**arrays`` as ``.npz``, atomically."""
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        if array is not None:
            np.save(f, np.asarray(array))
        else:
            np.savez(f, **arrays)
