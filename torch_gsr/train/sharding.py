r"""A model's loss as one module, and each process's share of a global batch
under :class:`~torch.nn.parallel.DistributedDataParallel`."""
from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from .. import distributed as dist
from ..nn.base import SuperResolutionModel
from .tensors import ConnectomeTensors, rows


class LossModule(torch.nn.Module):
    r"""A model's forward pass and loss as one module: running the loss
    inside this module's forward is what makes DDP all-reduce the gradients
    of parameters the loss reads outside the model's forward too.

    Args:
        model (SuperResolutionModel): the model.
    """
    def __init__(self, model: SuperResolutionModel):
        super().__init__()
        self.model = model

    def forward(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor],
                hr_adj: Tensor, hr_eigvecs: Optional[Tensor]):
        r"""The model's loss terms on one batch."""
        # prepare() checked the values once for the whole dataset.
        out = self.model(lr_adj, lr_eigvecs, validate=False)
        return self.model.loss(out, hr_adj, hr_eigvecs, validate=False)


def data_parallel(step: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    r"""``step`` wrapped in DDP. Buffers are not broadcast: training changes
    none (``initialize`` set them alike in every rank), and a ridge part's
    are too large to send every step."""
    return torch.nn.parallel.DistributedDataParallel(
        step, device_ids=[device] if device.type == 'cuda' else None,
        broadcast_buffers=False)


def _batch_loss(step: torch.nn.Module, data: ConnectomeTensors, index: Tensor):
    # prepare() filled in the HR connectomes and spectra.
    assert data.hr_adj is not None
    return step(data.lr_adj[index], rows(data.lr_eigvecs, index),
                data.hr_adj[index], rows(data.hr_eigvecs, index))


def _guarded_loss(step: torch.nn.Module, data: ConnectomeTensors, index: Tensor):
    r"""``(loss, None)``, or in distributed training ``(None, exception)``
    for :func:`~torch_gsr.distributed.raise_if_any_failed` to raise in every
    rank."""
    if not dist.is_distributed():
        return _batch_loss(step, data, index), None
    try:
        return _batch_loss(step, data, index), None
    except Exception as error:  # re-raised by every rank, see the docstring
        return None, error


def sharded_loss(step: torch.nn.Module, data: ConnectomeTensors, index: Tensor,
                 what: str) -> Tuple[Any, float, Tensor]:
    r"""This process's loss on its shard of the global batch ``index``, the
    shard's weight (:func:`~torch_gsr.distributed.shard`) and the batch's
    loss-term sums over the subjects of all processes (``[T]`` for the
    model's ``T`` terms, float64, CPU); ``what`` names the step in the error of a failed rank."""
    part, weight = dist.shard(index)
    loss, error = _guarded_loss(step, data, part.to(data.lr_adj.device))
    dist.raise_if_any_failed(error, what)
    subjects = part.numel() if weight else 0
    sums = torch.stack(list(loss)).detach().double() * subjects
    return loss, weight, dist.all_reduce_sum(sums).cpu()
