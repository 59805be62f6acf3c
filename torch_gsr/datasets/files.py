r"""File helpers shared by the readers and writers: existence checks, and
MATLAB ``.mat`` / numpy ``.npy``/``.npz`` matrices.

Every reading failure (missing, empty, truncated, corrupted, another kind of
file, non-numeric content, a missing key) is a one-line ``OSError`` or
``ValueError`` that starts with the file's path.
"""
import os
import os.path as osp
import zipfile
import zlib
from typing import Optional

import numpy as np
import scipy.io

from ..utils.io import atomic_path, one_line


def check_file(path: str) -> str:
    """Returns ``path`` as a string, raising if it is not an existing,
    non-empty file."""
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    if osp.getsize(path) == 0:
        raise ValueError(f"{path}: empty file")
    return path


def check_numeric(array: np.ndarray, path: str) -> np.ndarray:
    r"""Returns ``array`` if it holds numbers (or booleans)."""
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{path}: holds {array.dtype} values, expected numbers")
    return array


def read_mat(path: str, key: str) -> np.ndarray:
    r"""The array stored under ``key`` in the MATLAB file ``path``."""
    path = check_file(path)
    try:
        content = scipy.io.loadmat(path)
    except Exception as error:  # scipy raises many types on malformed files
        raise ValueError(f"{path}: could not be read as a MATLAB .mat file "
                         f"(v4-v7.2 expected): {one_line(error)}") from error
    if key not in content:
        found = sorted(k for k in content if not k.startswith('__'))
        raise ValueError(f"{path}: has no variable {key!r} (found {found})")
    return check_numeric(np.asarray(content[key]), f"{path} (variable {key!r})"
                         ).astype(np.float64)


def write_mat(path: str, arrays: dict) -> None:
    """Writes ``{name: array}`` to the MATLAB file ``path``, atomically."""
    with atomic_path(path) as tmp, open(tmp, 'wb') as f:
        scipy.io.savemat(f, arrays)


def read_numpy(path: str, key: Optional[str] = None) -> np.ndarray:
    r"""An array from ``.npy``, or from ``.npz`` under ``key`` (default: its
    only array)."""
    path = check_file(path)
    try:
        with open(path, 'rb') as f:
            content = np.load(f, allow_pickle=False)
            if isinstance(content, np.ndarray):
                return check_numeric(content, path)
            with content:
                return check_numeric(_npz_array(content, path, key), path)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        if str(error).startswith(path):
            raise  # already names the file and the problem
        if 'pickle' in str(error):
            # numpy's advice (allow_pickle=True) would run code from the file
            raise ValueError(f"{path}: not a .npy/.npz array file (another "
                             f"kind of file, or pickled objects, which are "
                             f"not read)") from error
        raise ValueError(f"{path}: truncated or corrupted .npy/.npz file "
                         f"({one_line(error)})") from error


def _npz_array(content, path: str, key: Optional[str]) -> np.ndarray:
    if key is None and len(content.files) != 1:
        raise ValueError(f"{path}: holds arrays {content.files}, expected "
                         f"one (or name it: lr_key=/hr_key= of "
                         f"PairedConnectomes.from_numpy_files)")
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
