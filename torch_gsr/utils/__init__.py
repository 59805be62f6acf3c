"""The base layer: padding, vectorising, spectra, input checks, sparse views,
atomic file writing (:mod:`~torch_gsr.utils.io`) and progress reporting
(:mod:`~torch_gsr.utils.progress`). Nothing here imports the rest of the package."""
from .padding import pad_hr, padded_size, unpad_hr, upscale_factor
from .sparse import dense_connectomes, lr_adj_of, sparse_view, strongest_edges
from .spectra import hr_eigvecs, lr_eigvecs, normalize_adj, spectra
from .validation import check_adjacency, check_edges, check_eigvecs, check_sizes

__all__ = [
    'check_adjacency', 'check_edges', 'check_eigvecs', 'check_sizes',
    'pad_hr', 'unpad_hr', 'padded_size', 'upscale_factor',
    'normalize_adj', 'lr_eigvecs', 'hr_eigvecs', 'spectra',
    'sparse_view', 'strongest_edges', 'dense_connectomes', 'lr_adj_of',
]
