r"""Paired LR/HR connectome data: the per-subject :class:`ConnectomePair`,
the :class:`PairedConnectomes` dataset and its readers/writers, cleaning, and
the simulated default data and three held-out simulations
(:mod:`~torch_gsr.datasets.smooth_fields`, :mod:`~torch_gsr.datasets.wiring`,
:mod:`~torch_gsr.datasets.dynamics`)."""
from .auto import FORMATS, detect_format, load_dataset
from .challenge import (
                        read_challenge_csv,
                        read_challenge_mat,
                        read_submission_csv,
                        write_challenge_csv,
                        write_challenge_mat,
                        write_submission_csv,
)
from .cleaning import (
                        clean_connectomes,
                        remove_negatives,
                        replace_nonfinite,
                        set_diagonal,
                        symmetrize,
)
from .connectome_pair import ConnectomePair, sparse_view
from .dynamics import DynamicsConnectomes, dynamics_connectomes
from .files import atomic_path, read_mat, read_numpy, write_mat, write_numpy
from .paired_connectomes import PairedConnectomes, cleaning_options
from .slim import read_slim, slim_path, write_slim
from .smooth_fields import SmoothFieldConnectomes, smooth_field_connectomes
from .synthetic import SyntheticConnectomes, synthetic_connectomes
from .wiring import WiringConnectomes, wiring_connectomes

__all__ = [
    'load_dataset', 'detect_format', 'FORMATS',
    'ConnectomePair', 'sparse_view',
    'PairedConnectomes', 'cleaning_options',
    'SyntheticConnectomes', 'synthetic_connectomes',
    'SmoothFieldConnectomes', 'smooth_field_connectomes',
    'WiringConnectomes', 'wiring_connectomes',
    'DynamicsConnectomes', 'dynamics_connectomes',
    'clean_connectomes', 'replace_nonfinite', 'remove_negatives', 'symmetrize',
    'set_diagonal',
    'read_challenge_csv', 'write_challenge_csv', 'read_challenge_mat',
    'write_challenge_mat', 'write_submission_csv', 'read_submission_csv',
    'read_slim', 'write_slim', 'slim_path',
    'read_numpy', 'write_numpy', 'read_mat', 'write_mat', 'atomic_path',
]
