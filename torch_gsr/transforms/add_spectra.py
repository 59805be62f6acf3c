r"""Cached eigenvectors, computed once per subject (or batch) instead of in
every training step."""
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from ..utils.spectra import spectra
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
        """Adds ``lr_eigvecs`` and ``hr_eigvecs`` to ``data``."""
        lr_vecs, hr_vecs = spectra(data.lr_adj, data.get('hr_adj'))
        assert lr_vecs is not None  # spectra(lr=True) always computes them
        data = set_dense(data, 'lr_eigvecs', lr_vecs)
        if hr_vecs is not None:
            data = set_dense(data, 'hr_eigvecs', hr_vecs)
        return data
