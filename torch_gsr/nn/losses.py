r"""The three terms of the GSR-Net loss (paper, section 2.3),

.. math::
    \mathcal{L} = \mathcal{L}_{hr} + \mathcal{L}_{eig} + \lambda \mathcal{L}_{rec}.

Each term is a mean squared error averaged over every entry (and over the
batch), as in the released code; the paper's :math:`\frac{1}{N}\sum_i
\|\cdot\|_2^2` differs from it only by a constant factor per term.
"""
import torch.nn.functional as F
from torch import Tensor


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
