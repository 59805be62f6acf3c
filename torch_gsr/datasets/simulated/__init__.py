r"""Simulated paired connectomes: the default data
(:class:`SyntheticConnectomes`) and three held-out simulations on other
assumptions (:class:`SmoothFieldConnectomes`, :class:`WiringConnectomes`,
:class:`DynamicsConnectomes`). Each draws its population (atlases, networks)
from ``population_seed`` and its subjects from ``seed``."""
from .dynamics import DynamicsConnectomes, dynamics_connectomes
from .generated import GeneratedConnectomes
from .smooth_fields import SmoothFieldConnectomes, smooth_field_connectomes
from .synthetic import SyntheticConnectomes, synthetic_connectomes
from .wiring import WiringConnectomes, wiring_connectomes

__all__ = [
    'GeneratedConnectomes',
    'SyntheticConnectomes', 'synthetic_connectomes',
    'SmoothFieldConnectomes', 'smooth_field_connectomes',
    'WiringConnectomes', 'wiring_connectomes',
    'DynamicsConnectomes', 'dynamics_connectomes',
]
