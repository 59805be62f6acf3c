r"""One training epoch and one validation pass over dense batches."""
from typing import Callable, Dict, List, Optional, Sequence

import torch
from torch import Tensor

from ..utils.progress import Progress
from .sharding import sharded_loss
from .tensors import ConnectomeTensors, index_batches


class NonFiniteLossError(FloatingPointError):
    r"""A training loss became NaN or inf.

    Args:
        message (str): the error's text.
        epoch (int): the (1-based) epoch in which it happened.
        indices (list of int): dataset indices of the offending batch.
        subjects (list of str): their subject ids.
    """
    def __init__(self, message: str, epoch: int, indices: List[int],
                 subjects: List[str]):
        super().__init__(message)
        self.epoch, self.indices, self.subjects = epoch, indices, subjects


def term_names(loss) -> Sequence[str]:
    r"""The names of a loss's terms: the fields of the model's
    :class:`~typing.NamedTuple`, ``total`` first."""
    return loss._fields


def check_finite(sums: Tensor, epoch: int, index: Tensor,
                 data: ConnectomeTensors, names: Sequence[str]) -> None:
    r"""Raises :class:`NonFiniteLossError` when a loss-term sum of the batch
    ``index`` is not finite (``sums`` is reduced over ranks, so every rank
    raises the same error)."""
    if bool(torch.isfinite(sums).all()):
        return
    bad = [name for name, value in zip(names, sums, strict=True)
           if not bool(torch.isfinite(value))]
    indices = index.tolist()
    subjects = [data.subjects[i] for i in indices]
    raise NonFiniteLossError(
        f"non-finite loss ({', '.join(bad)}) in epoch {epoch} on the batch of "
        f"subjects {subjects} (training-set indices {indices}); the last "
        f"checkpoint written, if any, was kept", epoch, indices, subjects)


def train_epoch(step: torch.nn.Module, optimizer: torch.optim.Optimizer,
                data: ConnectomeTensors, batch_size: int,
                shuffle: Optional[torch.Generator], epoch: int,
                clip_grad_norm: Optional[float],
                learning_rate_at: Callable[[int], float],
                display: Progress, accumulate: int = 1) -> Dict[str, float]:
    r"""One epoch over a permutation drawn from ``shuffle`` (:obj:`None`: the
    subjects in order); returns the mean
    loss terms and the rate of the last update. ``learning_rate_at(k)`` is
    the rate of the epoch's ``k``-th update; an update sums the gradients of
    ``accumulate`` batches (the epoch's last update those left)."""
    step.train()
    sums = torch.zeros((), dtype=torch.float64)
    names: Sequence[str] = ()
    batches = index_batches(data.num_subjects, batch_size, shuffle)
    optimizer.zero_grad()
    for k, index in enumerate(batches):
        for group in optimizer.param_groups:
            group['lr'] = learning_rate_at(k // accumulate)
        loss, weight, batch_sums = sharded_loss(
            step, data, index, f'the training step in epoch {epoch}')
        names = term_names(loss)
        check_finite(batch_sums, epoch, index, data, names)
        # DDP averages gradients over ranks; the weight turns that average
        # into the gradient of the mean loss over the global batch.
        (loss.total * weight).backward()
        if (k + 1) % accumulate == 0 or k + 1 == len(batches):
            if clip_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(step.parameters(), clip_grad_norm)
            optimizer.step()
            optimizer.zero_grad()
        sums = sums + batch_sums
        display.advance(1 / len(batches))
    record = dict(zip(names, (sums / data.num_subjects).tolist(), strict=True))
    record['learning_rate'] = learning_rate_at((len(batches) - 1) // accumulate)
    return record


@torch.no_grad()
def validation_loss(step: torch.nn.Module, data: ConnectomeTensors,
                    batch_size: int) -> Dict[str, float]:
    r"""The mean loss terms on ``data``, as ``val_<term>``."""
    step.eval()
    sums = torch.zeros((), dtype=torch.float64)
    names: Sequence[str] = ()
    for index in index_batches(data.num_subjects, batch_size):
        loss, _, batch_sums = sharded_loss(step, data, index, 'validation')
        names, sums = term_names(loss), sums + batch_sums
    return {f'val_{name}': value for name, value
            in zip(names, (sums / data.num_subjects).tolist(), strict=True)}
