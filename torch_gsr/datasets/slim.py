r"""The SLIM directory layout used in the paper:
``ROOT/<subject>/<session>/<parcellation>/ROI_FC.mat``, each file holding
the connectome under key ``r``."""
import os
import os.path as osp
import warnings
from typing import List, Sequence, Tuple

import numpy as np

from ..utils.progress import track
from .files import read_mat, write_mat

FILE_NAME = 'ROI_FC.mat'
KEY = 'r'


def slim_path(root: str, subject: str, parcellation: str, session: str = 'session_1') -> str:
    """Path of one subject's connectome in the SLIM layout."""
    return osp.join(root, subject, session, parcellation, FILE_NAME)


def _read_stack(root: str, subjects: Sequence[str], parcellation: str,
                session: str, progress: bool = False) -> np.ndarray:
    matrices: List[np.ndarray] = []
    for subject in track(subjects, f'reading {parcellation}', enabled=progress):
        path = slim_path(root, subject, parcellation, session)
        adj = read_mat(path, KEY)
        if adj.ndim != 2 or adj.shape[0] != adj.shape[1]:
            raise ValueError(f"{path}: expected a square matrix, got shape {list(adj.shape)}")
        if matrices and adj.shape != matrices[0].shape:
            raise ValueError(f"{path}: has shape {list(adj.shape)} but the other "
                             f"{parcellation} files have {list(matrices[0].shape)}")
        matrices.append(adj)
    return np.stack(matrices)


def read_slim(root: str, lr_parcellation: str = 'Dosenbach_160',
              hr_parcellation: str = 'shen_268',
              session: str = 'session_1', progress: bool = False
              ) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    r"""Reads every subject of ``root`` that has both parcellations
    (``progress``: reporting the files read, :mod:`torch_gsr.utils.progress`).

    Subjects missing either file are listed in a warning and skipped.

    Returns:
        (numpy.ndarray, numpy.ndarray, list): LR ``[S, N_l, N_l]``, HR
        ``[S, N_h, N_h]`` and the subject ids (sorted folder names).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f"{root}: no such SLIM directory")
    subjects: List[str] = []
    incomplete: List[str] = []
    for subject in sorted(os.listdir(root)):
        if not osp.isdir(osp.join(root, subject)):
            continue
        found = [osp.isfile(slim_path(root, subject, p, session))
                 for p in (lr_parcellation, hr_parcellation)]
        (subjects if all(found) else incomplete).append(subject)
    if incomplete:
        warnings.warn(f"{root}: skipping {len(incomplete)} subject(s) without both "
                      f"{lr_parcellation} and {hr_parcellation} {FILE_NAME} in "
                      f"{session}: {incomplete}", stacklevel=2)
    if not subjects:
        raise ValueError(f"{root}: no subject has both {lr_parcellation} and "
                         f"{hr_parcellation} (expected "
                         f"<subject>/{session}/<parcellation>/{FILE_NAME})")
    return (_read_stack(root, subjects, lr_parcellation, session, progress),
            _read_stack(root, subjects, hr_parcellation, session, progress),
            subjects)


def write_slim(root: str, lr, hr, subjects: Sequence[str],
               lr_parcellation: str = 'Dosenbach_160', hr_parcellation: str = 'shen_268',
               session: str = 'session_1') -> None:
    r"""Writes LR ``[S, N_l, N_l]`` and HR ``[S, N_h, N_h]`` in the SLIM layout."""
    lr, hr = np.asarray(lr), np.asarray(hr)
    if not len(lr) == len(hr) == len(subjects):
        raise ValueError(f"write_slim needs one LR and one HR connectome per "
                         f"subject, got {len(lr)} LR, {len(hr)} HR and "
                         f"{len(subjects)} subject ids")
    for subject, lr_adj, hr_adj in zip(subjects, lr, hr, strict=True):
        write_mat(slim_path(root, subject, lr_parcellation, session), {KEY: lr_adj})
        write_mat(slim_path(root, subject, hr_parcellation, session), {KEY: hr_adj})
