r"""Explicit cleaning of dense connectomes ``[S, N, N]`` (or ``[N, N]``).

:func:`clean_connectomes` runs these steps in this order, each one optional:

1. ``nonfinite``: replace NaN and +-inf by a value (default ``0``).
2. ``negatives``: ``'abs'`` takes absolute values (the paper uses absolute
   correlations, the default), ``'clip'`` sets negative weights to zero.
3. ``symmetrize``: replace ``A`` by ``(A + A^T) / 2`` (off by default).
4. ``diagonal``: write a value on the diagonal (default ``1``, as a
   correlation matrix has).

The defaults reproduce the released GSR-Net preprocessing; replacing
non-finite values is never silent: a :class:`UserWarning` names the source
and the subjects it changed. Afterwards the result is checked
(:func:`~torch_gsr.utils.check_adjacency`): NaN/inf or asymmetry left in
raises a :class:`ValueError` naming the source and subject.
"""
import warnings
from typing import Optional, Sequence

import torch
from torch import Tensor

from ..utils.matrix import set_diagonal, symmetrize
from ..utils.validation import check_adjacency

NEGATIVES = ('abs', 'clip')


def replace_nonfinite(adj: Tensor, value: float = 0.) -> Tensor:
    """Replaces NaN, +inf and -inf entries of ``adj`` by ``value``."""
    return torch.nan_to_num(adj, nan=value, posinf=value, neginf=value)


def remove_negatives(adj: Tensor, mode: str = 'abs') -> Tensor:
    """``'abs'``: absolute weights; ``'clip'``: negative weights set to zero."""
    if mode not in NEGATIVES:
        raise ValueError(f"negatives must be one of {NEGATIVES} or None, got {mode!r}")
    return adj.abs() if mode == 'abs' else adj.clamp(min=0.)


def _warn_nonfinite(adj: Tensor, name: str, subjects: Optional[Sequence],
                    value: float) -> None:
    changed = (~torch.isfinite(adj)).flatten(1).any(dim=1).nonzero().flatten()
    if changed.numel():
        ids = [subjects[i] if subjects is not None else i
               for i in changed.tolist()]
        warnings.warn(f"{name}: NaN/inf values replaced by {value:g} in "
                      f"subjects {ids} (to keep them and get an error "
                      f"instead: nonfinite=None, on the command line "
                      f"--nonfinite keep)", stacklevel=2)


def clean_connectomes(adj, name: str = 'adj', subjects: Optional[Sequence] = None,
                      nonfinite: Optional[float] = 0., negatives: Optional[str] = 'abs',
                      symmetric: bool = False, diagonal: Optional[float] = 1.) -> Tensor:
    r"""Cleans and checks a stack of connectomes (see the module doc).

    Args:
        adj (Tensor or numpy.ndarray): ``[S, N, N]`` or ``[N, N]``.
        name (str): the source (file or argument) named in error messages.
            (default: :obj:`'adj'`)
        subjects (sequence, optional): subject ids named in error messages.
            (default: :obj:`None`)
        nonfinite (float, optional): replacement for NaN/inf; ``None`` keeps
            them. (default: :obj:`0.`)
        negatives (str, optional): ``'abs'``, ``'clip'`` or ``None`` (keep).
            (default: :obj:`'abs'`)
        symmetric (bool): symmetrise ``(A + A^T) / 2``. (default: :obj:`False`)
        diagonal (float, optional): diagonal value; ``None`` keeps it.
            (default: :obj:`1.`)

    Returns:
        Tensor: ``[S, N, N]`` float32.
    """
    adj = torch.as_tensor(adj, dtype=torch.float32)
    if adj.dim() == 2:
        adj = adj.unsqueeze(0)
    if adj.dim() != 3 or adj.size(-1) != adj.size(-2):
        raise ValueError(f"{name}: expected connectomes of shape [subjects, N, "
                         f"N] or [N, N], got {list(adj.shape)}")
    if nonfinite is not None:
        _warn_nonfinite(adj, name, subjects, nonfinite)
        adj = replace_nonfinite(adj, nonfinite)
    if negatives is not None:
        adj = remove_negatives(adj, negatives)
    if symmetric:
        adj = symmetrize(adj)
    if diagonal is not None:
        adj = set_diagonal(adj, diagonal)
    try:
        return check_adjacency(adj, name=name, subjects=subjects)
    except ValueError as error:
        raise ValueError(f"{error}{_remedy(str(error))}") from None


def _remedy(message: str) -> str:
    r"""The cleaning step that fixes a failed check, in the API and on the
    command line."""
    if 'NaN or inf' in message:
        return (" (to replace them: nonfinite=0, on the command line "
                "--nonfinite 0)")
    if 'not symmetric' in message:
        return (" (to average A and A^T: symmetric=True, on the command line "
                "--symmetrize)")
    return ''
