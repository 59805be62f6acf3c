r"""Transforms on :class:`~torch_gsr.datasets.ConnectomePair` data (single
subjects or batches), composable with :class:`torch_geometric.transforms.Compose`."""
from .add_spectra import AddSpectra
from .clean import CleanConnectomes
from .graph_super_resolution import GraphSuperResolution
from .sparsify import Sparsify

__all__ = ['AddSpectra', 'CleanConnectomes', 'GraphSuperResolution', 'Sparsify']
