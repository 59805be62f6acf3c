r"""The simulated sets of the STP-GSR and DEFEND/Bi-SR releases by name, and
as a :class:`PairedConnectomes` dataset."""
import hashlib
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from ...utils.validation import check_int
from ..paired_connectomes import PairedConnectomes
from .defend_graphs import defend_ba_graphs, defend_sbm_graphs, defend_ws_graphs
from .physics import defend_physics_pairs
from .stp_graphs import stp_ba_graphs, stp_er_graphs, stp_kronecker_graphs, stp_sbm_graphs

#: Name -> ``generate(num_subjects, seed=..., **options)`` returning ``(lr, hr)``.
RELEASE_GRAPHS: Dict[str, Callable[..., Tuple[np.ndarray, np.ndarray]]] = {
    'stp_sbm': stp_sbm_graphs,
    'stp_er': stp_er_graphs,
    'stp_ba': stp_ba_graphs,
    'stp_kronecker': stp_kronecker_graphs,
    'defend_sbm': defend_sbm_graphs,
    'defend_ba': defend_ba_graphs,
    'defend_ws': defend_ws_graphs,
    'defend_physics': defend_physics_pairs,
}


def _generator(name: str) -> Callable[..., Tuple[np.ndarray, np.ndarray]]:
    if name not in RELEASE_GRAPHS:
        raise ValueError(f"unknown release set {name!r}; expected one of "
                         f"{sorted(RELEASE_GRAPHS)}")
    return RELEASE_GRAPHS[name]


def release_graphs(name: str, num_subjects: Optional[int] = None, seed: int = 0,
                   **options) -> Tuple[np.ndarray, np.ndarray]:
    r"""The ``(lr, hr)`` arrays of the release set ``name`` (a key of
    :data:`RELEASE_GRAPHS`).

    Args:
        name (str): e.g. ``'stp_sbm'``, ``'defend_ws'``.
        num_subjects (int, optional): ``S`` (default: the release's)
        seed (int): the generator's seed. (default: :obj:`0`)
        **options: further arguments of the generator.
    """
    generate = _generator(name)
    if num_subjects is None:
        return generate(seed=seed, **options)
    return generate(check_int(num_subjects, 'num_subjects'), seed=seed, **options)


class ReleaseGraphs(PairedConnectomes):
    r"""A simulated set of the STP-GSR or DEFEND/Bi-SR release (see
    :data:`RELEASE_GRAPHS`) as a :class:`PairedConnectomes` dataset; subject
    ids ``'<name>-0000'``, ...

    The default cleaning gives the graphs a unit diagonal and the signed
    DEFEND correlations their absolute values; ``clean=False`` keeps the
    generator's values.

    Args:
        name (str): e.g. ``'stp_sbm'``, ``'defend_ws'``.
        num_subjects (int, optional): ``S`` (default: the release's)
        seed (int): the generator's seed. (default: :obj:`0`)
        options (dict, optional): further arguments of the generator.
            (default: :obj:`None`)
        root (str, optional): cache folder (default: :obj:`None`, in memory
            only)
        **pyg_options: ``clean``, ``transform``, ``pre_transform``,
            ``pre_filter``, ``force_reload``, as in :class:`PairedConnectomes`.
    """
    def __init__(self, name: str, num_subjects: Optional[int] = None, seed: int = 0,
                 options: Optional[dict] = None, root: Optional[str] = None,
                 **pyg_options):
        _generator(name)
        options = dict(options or {})

        def reader():
            lr, hr = release_graphs(name, num_subjects, seed, **options)
            subjects = [f'{name}-{i:04d}' for i in range(len(lr))]
            return lr, hr, subjects, f'{name} lr', f'{name} hr'
        cache_name = f'{name}_{num_subjects or "default"}_{seed}'
        if options:
            digest = hashlib.sha1(repr(sorted(options.items())).encode()).hexdigest()
            cache_name += f'_{digest[:10]}'
        super().__init__(root, reader, name=cache_name, **pyg_options)
