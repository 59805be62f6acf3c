r"""Cached eigenvectors, computed once per subject (or batch) instead of in
every training step."""
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from ..utils.padding import padded_size
from ..utils.spectra import hr_eigvecs, lr_eigvecs
from .batch_utils import set_dense


class AddSpectra(BaseTransform):
    r"""Adds ``lr_eigvecs`` ``[B, N_l, N_l]`` (eigenvectors of the normalised
    LR adjacency, :func:`~torch_gsr.utils.lr_eigvecs`) and, when ``hr_adj`` is
    present, ``hr_eigvecs`` ``[B, P, P]`` (eigenvectors of the HR adjacency
    zero-padded to ``P = padded_size(N_l, N_h)``,
    :func:`~torch_gsr.utils.hr_eigvecs`). ``B = 1`` for one subject; on a
    batch all subjects are decomposed in one batched ``eigh``.

    Use it as a ``pre_transform`` so the spectra are stored with the dataset.
    """
    def forward(self, data: Data) -> Data:
        set_dense(data, 'lr_eigvecs', lr_eigvecs(data.lr_adj))
        if data.get('hr_adj') is not None:
            padded = padded_size(data.lr_adj.size(-1), data.hr_adj.size(-1))
            set_dense(data, 'hr_eigvecs', hr_eigvecs(data.hr_adj, padded))
        return data
