r"""Simulated paired connectomes: the default data
(:class:`SyntheticConnectomes`) and three held-out simulations on other
assumptions (:class:`SmoothFieldConnectomes`, :class:`WiringConnectomes`,
:class:`DynamicsConnectomes`). Each draws its population (atlases, networks)
from ``population_seed`` and its subjects from ``seed``. Also the simulated
sets of the STP-GSR and DEFEND/Bi-SR releases (:class:`ReleaseGraphs`,
:data:`RELEASE_GRAPHS`), drawn from ``seed`` alone."""
from .defend_graphs import defend_ba_graphs, defend_sbm_graphs, defend_ws_graphs
from .dynamics import DynamicsConnectomes, dynamics_connectomes
from .generated import GeneratedConnectomes
from .physics import PhysicsGraphs, defend_physics_graphs, defend_physics_pairs
from .release_sets import RELEASE_GRAPHS, ReleaseGraphs, release_graphs
from .smooth_fields import SmoothFieldConnectomes, smooth_field_connectomes
from .stp_graphs import stp_ba_graphs, stp_er_graphs, stp_kronecker_graphs, stp_sbm_graphs
from .synthetic import SyntheticConnectomes, synthetic_connectomes
from .wiring import WiringConnectomes, wiring_connectomes

__all__ = [
    'GeneratedConnectomes',
    'SyntheticConnectomes', 'synthetic_connectomes',
    'SmoothFieldConnectomes', 'smooth_field_connectomes',
    'WiringConnectomes', 'wiring_connectomes',
    'DynamicsConnectomes', 'dynamics_connectomes',
    'ReleaseGraphs', 'release_graphs', 'RELEASE_GRAPHS',
    'stp_sbm_graphs', 'stp_er_graphs', 'stp_ba_graphs', 'stp_kronecker_graphs',
    'defend_sbm_graphs', 'defend_ba_graphs', 'defend_ws_graphs',
    'defend_physics_graphs', 'defend_physics_pairs', 'PhysicsGraphs',
]
