r"""The common form of the simulated data sets: a seeded generator of
``(lr, hr)`` arrays wrapped as a :class:`PairedConnectomes`."""
from typing import Callable, Optional, Tuple

import numpy as np

from .paired_connectomes import PairedConnectomes

Generator = Callable[[int, int, int, int], Tuple[np.ndarray, np.ndarray]]


class GeneratedConnectomes(PairedConnectomes):
    r"""The connectomes ``generator(num_subjects, lr_nodes, hr_nodes, seed)``
    returns, as a dataset; subject ids are ``'<subject_prefix>-0000'``, ...,
    and ``name`` names the data in messages and cached files.

    Args:
        generator (callable): returns ``[S, N_l, N_l]`` and ``[S, N_h, N_h]``
            arrays.
        name (str): e.g. ``'synthetic'``.
        subject_prefix (str): e.g. ``'sim'``.
        num_subjects, lr_nodes, hr_nodes, seed: passed to ``generator``.
        root (str, optional): cache folder (``None``: in memory only).
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, generator: Generator, name: str, subject_prefix: str,
                 num_subjects: int, lr_nodes: int, hr_nodes: int, seed: int,
                 root: Optional[str] = None, **pyg_options):
        def reader():
            lr, hr = generator(num_subjects, lr_nodes, hr_nodes, seed)
            subjects = [f'{subject_prefix}-{i:04d}' for i in range(num_subjects)]
            return lr, hr, subjects, f'{name} lr', f'{name} hr'
        super().__init__(root, reader,
                         name=f'{name}_{num_subjects}_{lr_nodes}_{hr_nodes}_{seed}'
                         .replace('-', '_'),
                         **pyg_options)
