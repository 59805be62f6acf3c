r"""Closed-form maps from LR to HR connectomes: ridge regression on all LR
edges and on the LR edges near each HR edge, and the HR functional
connectome expected given the LR one when LR regions merge HR ones."""
from .local_ridge import LocalRidgeMap
from .parcel_covariance import ParcelCovarianceMap
from .ridge import RidgeBlend, RidgeMap

__all__ = ['RidgeMap', 'RidgeBlend', 'LocalRidgeMap', 'ParcelCovarianceMap']
