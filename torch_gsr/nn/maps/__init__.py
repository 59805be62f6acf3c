r"""Closed-form maps from LR to HR connectomes: ridge regression on all LR
edges and on the LR edges near each HR edge."""
from .local_ridge import LocalRidgeMap
from .ridge import RidgeBlend, RidgeMap

__all__ = ['RidgeMap', 'RidgeBlend', 'LocalRidgeMap']
