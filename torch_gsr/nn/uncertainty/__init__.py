r"""Prediction intervals: conformal calibration on held-out groups."""
from .conformal import ConformalIntervals

__all__ = ['ConformalIntervals']
