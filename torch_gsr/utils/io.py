r"""File writing for every module that writes: a file appears complete or
not at all; the one safe reader of ``torch.save`` files; and the one-line
form of an error message."""
import contextlib
import os
import os.path as osp
import pickle
import tempfile
import warnings
from typing import Iterator

import torch


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    r"""Yields a temporary path in the folder of ``path``; on success the file
    written there replaces ``path`` (:func:`os.replace`), on failure it is
    removed, so ``path`` never holds a half-written file."""
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{name}.', suffix='.tmp')
    os.close(fd)
    # mkstemp creates the file owner-only; give it the permissions any
    # newly created file would get under the current umask.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_text(path: str, text: str) -> None:
    r"""Writes ``text`` to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)


def one_line(error: BaseException) -> str:
    r"""``error``'s message on one line: its non-empty lines joined by
    ``'; '`` (library messages can run over several lines), or the error's
    type name when it has no message."""
    return '; '.join(line.strip() for line in str(error).splitlines()
                     if line.strip()) or type(error).__name__


def load_torch_file(path: str, what: str, map_location='cpu'):
    r"""The content of the ``torch.save`` file ``path`` (a ``what``, e.g.
    ``"torch_gsr checkpoint"``), read with ``weights_only=True``: tensors,
    numbers, strings and plain containers only, so a file of unknown origin
    cannot run code. Any failure (missing, empty, truncated, corrupted, not
    a torch file, or holding other objects) is one ``OSError``/``ValueError``
    line naming the file; it never advises turning the safe mode off."""
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f"{path}: no such {what} file")
    if osp.getsize(path) == 0:
        raise ValueError(f"{path}: empty file (expected a {what})")
    try:
        with warnings.catch_warnings():
            # e.g. torch's note on the pickle protocol of a foreign file
            warnings.simplefilter('ignore')
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        # torch's message suggests weights_only=False: unsafe advice for a
        # file of unknown origin, so it is not passed on.
        raise ValueError(f"{path}: not a readable {what} (not a torch.save file of "
                         f"tensors and plain containers; files holding other "
                         f"objects are refused for safety)") from error
    except Exception as error:  # torch/zipfile/pickle raise many types here
        raise ValueError(f"{path}: not a readable {what} (truncated, "
                         f"corrupted or another kind of file: "
                         f"{type(error).__name__})") from error
