"""torch_gsr: brain graph super-resolution (GSR-Net) for PyTorch Geometric.

Subpackages: :mod:`torch_gsr.nn` (layers and models), :mod:`torch_gsr.datasets`
(paired LR/HR data), :mod:`torch_gsr.transforms`, :mod:`torch_gsr.utils`,
:mod:`torch_gsr.train` (fit, predict, evaluate, cross-validation); modules
:mod:`torch_gsr.metrics`, :mod:`torch_gsr.baselines`, :mod:`torch_gsr.config`,
:mod:`torch_gsr.experiments`, :mod:`torch_gsr.distributed`, :mod:`torch_gsr.plot`.
"""
from . import datasets, nn, transforms, utils
from .version import __version__

__all__ = ['nn', 'datasets', 'transforms', 'utils', '__version__']
