r"""Paired LR/HR connectome data: the per-subject :class:`ConnectomePair`,
the :class:`PairedConnectomes` dataset and its readers/writers, cleaning, and
the simulated default data, three held-out simulations and the official
releases' simulated sets (:mod:`~torch_gsr.datasets.simulated`), and real fMRI windows
(:mod:`~torch_gsr.datasets.fmri`, data from the ``[real]`` extra)."""
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
)
from .connectome_pair import ConnectomePair
from .files import read_mat, read_numpy, write_mat, write_numpy
from .fmri import FMRIWindowConnectomes, split_by_subject
from .paired_connectomes import PairedConnectomes, cleaning_options
from .simulated import (
                        RELEASE_GRAPHS,
                        DynamicsConnectomes,
                        PhysicsGraphs,
                        ReleaseGraphs,
                        SmoothFieldConnectomes,
                        SyntheticConnectomes,
                        WiringConnectomes,
                        defend_ba_graphs,
                        defend_physics_graphs,
                        defend_physics_pairs,
                        defend_sbm_graphs,
                        defend_ws_graphs,
                        dynamics_connectomes,
                        release_graphs,
                        smooth_field_connectomes,
                        stp_ba_graphs,
                        stp_er_graphs,
                        stp_kronecker_graphs,
                        stp_sbm_graphs,
                        synthetic_connectomes,
                        wiring_connectomes,
)
from .slim import read_slim, slim_path, write_slim

__all__ = [
    'load_dataset', 'detect_format', 'FORMATS',
    'ConnectomePair', 'FMRIWindowConnectomes', 'split_by_subject',
    'PairedConnectomes', 'cleaning_options',
    'SyntheticConnectomes', 'synthetic_connectomes',
    'SmoothFieldConnectomes', 'smooth_field_connectomes',
    'WiringConnectomes', 'wiring_connectomes',
    'DynamicsConnectomes', 'dynamics_connectomes',
    'ReleaseGraphs', 'release_graphs', 'RELEASE_GRAPHS',
    'stp_sbm_graphs', 'stp_er_graphs', 'stp_ba_graphs', 'stp_kronecker_graphs',
    'defend_sbm_graphs', 'defend_ba_graphs', 'defend_ws_graphs',
    'defend_physics_graphs', 'defend_physics_pairs', 'PhysicsGraphs',
    'clean_connectomes', 'replace_nonfinite', 'remove_negatives',
    'read_challenge_csv', 'write_challenge_csv', 'read_challenge_mat',
    'write_challenge_mat', 'write_submission_csv', 'read_submission_csv',
    'read_slim', 'write_slim', 'slim_path',
    'read_numpy', 'write_numpy', 'read_mat', 'write_mat',
]
