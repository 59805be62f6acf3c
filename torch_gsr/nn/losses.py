r"""The three terms of the GSR-Net loss (paper, section 2.3),

.. math::
    \mathcal{L} = \mathcal{L}_{hr} + \mathcal{L}_{eig} + \lambda \mathcal{L}_{rec}.

Each term is a mean squared error averaged over every entry (and over the
batch), as in the released code; the paper's :math:`\frac{1}{N}\sum_i
\|\cdot\|_2^2` differs from it only by a constant factor per term.
"""
from typing import Any, NamedTuple, Optional

import torch.nn.functional as F
from torch import Tensor

from ..utils.spectra import hr_eigvecs as compute_hr_eigvecs
from ..utils.validation import check_eigvecs


def hr_loss(pred_hr_adj: Tensor, hr_adj: Tensor) -> Tensor:
    r""":math:`\mathcal{L}_{hr}`: MSE between the predicted and the target HR
    connectomes.

    Args:
        pred_hr_adj (Tensor): ``[B, N_h, N_h]`` prediction (unpadded: padding
            is not scored).
        hr_adj (Tensor): ``[B, N_h, N_h]`` target.
    """
    return F.mse_loss(pred_hr_adj, hr_adj)


def eig_loss(weight: Tensor, hr_eigvecs: Tensor,
             sign_invariant: bool = False) -> Tensor:
    r""":math:`\mathcal{L}_{eig}`: MSE between the GSR layer's weight
    :math:`\mathbf{W}` ``[P, P]`` and the eigenvectors :math:`\mathbf{U}_1`
    ``[B, P, P]`` (columns) of each padded target HR adjacency.

    An eigenvector is only defined up to its sign. With ``sign_invariant``,
    column :math:`j` scores :math:`\min(\|\mathbf{w}_j - \mathbf{u}_j\|^2,
    \|\mathbf{w}_j + \mathbf{u}_j\|^2) = \|\mathbf{w}_j\|^2 +
    \|\mathbf{u}_j\|^2 - 2 |\mathbf{w}_j^\top \mathbf{u}_j|`; the default is
    the paper's plain form.

    Args:
        weight (Tensor): ``[P, P]`` the GSR layer's :math:`\mathbf{W}`.
        hr_eigvecs (Tensor): ``[B, P, P]`` :math:`\mathbf{U}_1`.
        sign_invariant (bool): score each column up to its sign.
            (default: :obj:`False`)
    """
    if not sign_invariant:
        return F.mse_loss(weight.expand_as(hr_eigvecs), hr_eigvecs)
    sq_norms = weight.pow(2).sum(dim=-2) + hr_eigvecs.pow(2).sum(dim=-2)
    overlap = (weight * hr_eigvecs).sum(dim=-2).abs()
    return (sq_norms - 2 * overlap).mean() / weight.size(-2)


def rec_loss(z0: Tensor, z_lr: Tensor) -> Tensor:
    r""":math:`\mathcal{L}_{rec}`: MSE between the U-Autoencoder's first
    embedding and its output.

    Args:
        z0 (Tensor): ``[B, N, F]`` :math:`\mathbf{Z}_0`.
        z_lr (Tensor): ``[B, N, F]`` :math:`\mathbf{Z}_l`.
    """
    return F.mse_loss(z_lr, z0)


class LossTerms(NamedTuple):
    r"""GSR-Net's three terms of one batch, and the prediction and target
    an adversary (AGSR-Net) judges them on."""
    hr: Tensor
    eig: Tensor
    rec: Tensor
    pred: Tensor
    target: Tensor


class GSRObjective:
    r"""The package's terms of GSR-Net's loss: :func:`hr_loss` on the
    cropped prediction, :func:`eig_loss` against the eigenvectors of the
    zero-padded targets (given, or computed here), and
    :math:`\lambda_{rec}` :func:`rec_loss`. A model holds one, chosen when
    it is built (:meth:`GSRModel.init_objective`)."""
    def __call__(self, model: Any, out: Any, hr_adj: Tensor,
                 hr_eigvecs: Optional[Tensor], validate: bool) -> LossTerms:
        r"""The terms of ``model``'s output ``out`` against ``hr_adj``
        ``[B, N_h, N_h]`` (``hr_eigvecs``, ``validate`` as in its loss)."""
        hr_adj = model.read_target(hr_adj, out.hr_adj, validate)
        if hr_eigvecs is None:
            hr_eigvecs = compute_hr_eigvecs(hr_adj, model.hr_padded)
        else:
            hr_eigvecs = check_eigvecs(hr_eigvecs, 'hr_eigvecs', out.hr_adj.size(0),
                                       model.hr_padded, like=out.hr_adj)
        term_hr = hr_loss(out.hr_adj, hr_adj)
        term_eig = eig_loss(model.gsr.weight, hr_eigvecs, model.sign_invariant_eig)
        term_rec = (model.lambda_rec * rec_loss(out.z0, out.z_lr)
                    if out.z0 is not None else term_hr.new_zeros(()))
        return LossTerms(term_hr, term_eig, term_rec, out.hr_adj, hr_adj)
