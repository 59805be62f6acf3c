r"""The vectorised format of the public brain-graph super-resolution challenge.

One subject per row, the strict upper triangle of its connectome: 12720
columns for the 160-node LR graphs, 35778 for the 268-node HR graphs. CSV
files (``lr_train.csv``, ``hr_train.csv``) have one header row; ``.mat`` files
hold the same ``[S, E]`` array under the key ``LR`` or ``HR``. The default
order ``'tril'`` is the challenge's (see :mod:`torch_gsr.utils.vectorize`).

Predictions are written back in the same format, or in the submission format:
a CSV ``ID,Predicted`` with one row per value (subjects one after the other,
each in the vector order) and IDs counted from 1.
"""
import warnings

import numpy as np
import torch

from ..utils.io import atomic_path, one_line
from ..utils.vectorize import nodes_from_edges, unvectorize, vectorize
from .files import check_file, read_mat, write_mat


def _to_matrices(vectors: np.ndarray, path: str, order: str) -> np.ndarray:
    if vectors.ndim != 2:
        raise ValueError(f"{path}: expected a [subjects, values] table, "
                         f"got shape {list(vectors.shape)}")
    nodes_from_edges(vectors.shape[1], where=path)
    return unvectorize(torch.from_numpy(vectors), order).numpy()


def _to_vectors(adj, order: str) -> np.ndarray:
    adj = torch.as_tensor(np.asarray(adj))
    if adj.dim() == 2:
        adj = adj.unsqueeze(0)
    return vectorize(adj, order).numpy()


def _read_csv(path: str, expected: str) -> np.ndarray:
    r"""The numeric rows ``[R, C]`` under the one header row of ``path``."""
    path = check_file(path)
    try:
        with warnings.catch_warnings():
            # "input contained no data": raised as an error below instead
            warnings.simplefilter('ignore', UserWarning)
            table = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
    except ValueError as error:  # UnicodeDecodeError too: a binary file
        raise ValueError(f"{path}: could not be parsed as {expected}: "
                         f"{one_line(error)}") from error
    if table.size == 0:
        raise ValueError(f"{path}: no data rows under the header (expected "
                         f"{expected})")
    return table


def read_challenge_csv(path: str, order: str = 'tril') -> np.ndarray:
    r"""Reads a challenge CSV (one header row) into ``[S, N, N]`` float64
    matrices with a zero diagonal; ``N`` is inferred from the column count."""
    vectors = _read_csv(path, 'a numeric CSV with one header row')
    return _to_matrices(vectors, path, order)


def write_challenge_csv(path: str, adj, order: str = 'tril') -> None:
    r"""Writes ``adj`` ``[S, N, N]`` as a challenge CSV (header ``0..E-1``)."""
    vectors = _to_vectors(adj, order)
    header = ','.join(map(str, range(vectors.shape[1])))
    with atomic_path(path) as tmp:
        np.savetxt(tmp, vectors, delimiter=',', header=header, comments='', fmt='%.8g')


def read_challenge_mat(path: str, key: str, order: str = 'tril') -> np.ndarray:
    r"""Reads the ``[S, E]`` array under ``key`` (``'LR'`` or ``'HR'``) of a
    challenge ``.mat`` file into ``[S, N, N]`` matrices."""
    return _to_matrices(read_mat(path, key), path, order)


def write_challenge_mat(path: str, adj, key: str, order: str = 'tril') -> None:
    r"""Writes ``adj`` ``[S, N, N]`` vectorised under ``key`` to a ``.mat``."""
    write_mat(path, {key: _to_vectors(adj, order)})


def write_submission_csv(path: str, adj, order: str = 'tril') -> None:
    r"""Writes predictions ``adj`` ``[S, N, N]`` in the submission format
    ``ID,Predicted`` (one row per value, IDs from 1)."""
    values = _to_vectors(adj, order).reshape(-1)
    table = np.column_stack([np.arange(1, values.size + 1), values])
    with atomic_path(path) as tmp:
        np.savetxt(tmp, table, delimiter=',', header='ID,Predicted', comments='',
                   fmt=['%d', '%.8g'])


def read_submission_csv(path: str, num_nodes: int, order: str = 'tril') -> np.ndarray:
    r"""Reads a submission CSV back into ``[S, N, N]`` matrices of
    ``num_nodes`` nodes, checking that IDs run 1, 2, ... without gaps."""
    table = _read_csv(path, "'ID,Predicted' rows")
    per_subject = num_nodes * (num_nodes - 1) // 2
    if table.shape[1] != 2 or not np.array_equal(table[:, 0], np.arange(1, len(table) + 1)):
        raise ValueError(f"{path}: expected columns ID,Predicted with IDs 1, 2, ...")
    if len(table) % per_subject:
        raise ValueError(f"{path}: {len(table)} rows is not a multiple of "
                         f"{per_subject} (values per {num_nodes}-node subject)")
    return _to_matrices(table[:, 1].reshape(-1, per_subject), path, order)
