r"""Connectome cleaning as a transform."""
from typing import Any, Dict, Optional, Sequence

from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from ..datasets.cleaning import clean_connectomes
from .batch_utils import set_sparse


class CleanConnectomes(BaseTransform):
    r"""Applies :func:`~torch_gsr.datasets.clean_connectomes` to the dense
    ``keys`` (each step optional, defaults as in the released GSR-Net
    preprocessing) and refreshes the sparse LR view. Raises a ``ValueError``
    naming the subject when NaN/inf or asymmetry is left.

    Args:
        nonfinite (float, optional): replacement for NaN/inf (``None``: keep).
        negatives (str, optional): ``'abs'``, ``'clip'`` or ``None``.
        symmetric (bool): symmetrise ``(A + A^T) / 2``.
        diagonal (float, optional): diagonal value (``None``: keep).
        keys (sequence of str): the ``[B, N, N]`` attributes to clean.
    """
    def __init__(self, nonfinite: Optional[float] = 0., negatives: Optional[str] = 'abs',
                 symmetric: bool = False, diagonal: Optional[float] = 1.,
                 keys: Sequence[str] = ('lr_adj', 'hr_adj')):
        self.options: Dict[str, Any] = dict(nonfinite=nonfinite, negatives=negatives,
                            symmetric=symmetric, diagonal=diagonal)
        self.keys = tuple(keys)

    def forward(self, data: Data) -> Data:
        """Cleans ``data``'s connectomes in place of the originals."""
        subjects = data.get('subject')
        subjects = [subjects] if isinstance(subjects, str) else subjects
        for key in self.keys:
            if data.get(key) is not None:
                data[key] = clean_connectomes(data[key], key, subjects, **self.options)
        if 'lr_adj' in self.keys and data.get('lr_adj') is not None:
            data = set_sparse(data, data.lr_adj)
        return data

    def __repr__(self) -> str:
        options = ', '.join(f'{k}={v!r}' for k, v in self.options.items())
        return f'{self.__class__.__name__}({options}, keys={self.keys})'
