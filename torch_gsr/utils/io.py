r"""File writing for every module that writes: a file appears complete or not at all."""
import contextlib
import os
import os.path as osp
import tempfile
from typing import Iterator


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
