r"""The parts of :func:`~torch_gsr.train.fit` around its epoch loop, as small
callback objects in Lightning's manner: the learning-rate schedule, early
stopping, the after-fit hook and checkpoint writing."""
import itertools
import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from .. import distributed as dist
from ..nn.base import SuperResolutionModel
from .checkpoint import load_state, model_state, training_checkpoint, write_checkpoint
from .history import History
from .tensors import ConnectomeTensors

#: Seconds between two resumable checkpoints when ``checkpoint_every`` is
#: :obj:`None`.
CHECKPOINT_EVERY = 300.


@dataclass
class FitRun:
    r"""What the callbacks of one :func:`~torch_gsr.train.fit` call share."""
    model: SuperResolutionModel
    optimizer: torch.optim.Optimizer
    shuffle: torch.Generator
    history: History
    fit_options: dict
    val: Optional[ConnectomeTensors]
    everything: Optional[ConnectomeTensors] = None  # what refit gets
    stop: bool = False


class Callback:
    r"""Hooks :func:`~torch_gsr.train.fit` calls, in the order of its list
    of callbacks: once before the first epoch, after every epoch, once after
    the last epoch, and once after that all have run ``on_train_end``."""
    def on_fit_start(self, run: FitRun) -> None:
        r"""Before the first epoch (of this call, when resuming)."""

    def on_epoch_end(self, run: FitRun, record: Dict[str, float]) -> None:
        r"""After every epoch, with its ``record`` (already in the history)."""

    def on_train_end(self, run: FitRun) -> None:
        r"""After the last epoch, before any ``on_fit_end``."""

    def on_fit_end(self, run: FitRun) -> None:
        r"""Once training has ended, in the order of the callbacks."""


class LearningRateSchedule:
    r"""The learning rate of every update, a pure function of the update's
    number, so a resumed run needs no scheduler state:

    .. math::
        \eta_t = \eta \quad \text{or} \quad
        \eta_t = \frac{\eta}{2} \left(1 + \cos\frac{\pi t}{T}\right)

    Args:
        learning_rate (float): the (peak) rate :math:`\eta`.
        schedule (str): ``'constant'`` or ``'cosine'``.
        total_steps (int): the planned updates :math:`T`.
        steps_per_epoch (int): updates per epoch.
    """
    def __init__(self, learning_rate: float, schedule: str, total_steps: int,
                 steps_per_epoch: int):
        self.learning_rate, self.schedule = learning_rate, schedule
        self.total_steps, self.steps_per_epoch = total_steps, steps_per_epoch

    def rate(self, step: int) -> float:
        r"""The rate of update ``step`` (0-based)."""
        if self.schedule == 'constant':
            return self.learning_rate
        return self.learning_rate * 0.5 * (
            1 + math.cos(math.pi * step / self.total_steps))

    def for_epoch(self, epoch: int) -> Callable[[int], float]:
        r"""The rate of update ``k`` of epoch ``epoch`` (0-based), by ``k``."""
        first = epoch * self.steps_per_epoch
        return lambda k: self.rate(first + k)


class EarlyStopping(Callback):
    r"""Tracks the epoch of the lowest validation loss term the model
    watches (``val_<model.monitor>``, e.g. ``val_hr``) and, with
    ``patience``, stops after ``patience`` epochs without a lower one (not
    before epoch ``min_epochs``) and restores that epoch's weights. The
    first ``warm_up`` epochs are ignored.

    Args:
        patience (int, optional): epochs without improvement to stop after;
            :obj:`None` tracks the best epoch only.
        min_epochs (float): the epoch before which no run stops.
            (default: :obj:`0.`)
        warm_up (int): epochs whose validation loss is not watched.
            (default: :obj:`0`)
    """
    def __init__(self, patience: Optional[int], min_epochs: float = 0.,
                 warm_up: int = 0):
        self.patience, self.min_epochs, self.warm_up = patience, min_epochs, warm_up
        self.best_loss, self.bad_epochs = math.inf, 0
        self.best_epoch: Optional[int] = None
        self.best_state: Optional[Dict[str, Tensor]] = None

    def on_epoch_end(self, run: FitRun, record: Dict[str, float]) -> None:
        r"""Tracks the best epoch; stops when patience has run out."""
        if run.val is not None and record['epoch'] > self.warm_up:
            watched = record[f'val_{run.model.monitor}']
            if watched < self.best_loss:
                self.best_loss, self.best_epoch = watched, int(record['epoch'])
                # Derived state does not change in training: not copied.
                self.best_state = model_state(run.model, derived=False, copy=True)
                self.bad_epochs = 0
            else:
                self.bad_epochs += 1
            run.history.best_epoch = self.best_epoch
        run.stop = (self.patience is not None and self.bad_epochs >= self.patience
                    and record['epoch'] >= self.min_epochs)
        run.history.stopped_early = run.stop

    def on_fit_end(self, run: FitRun) -> None:
        r"""Restores the best epoch's weights (with ``patience``)."""
        if self.patience is not None and self.best_state is not None:
            load_state('the best epoch', run.model, self.best_state,
                       run.model.derived_state_keys())

    def state_dict(self, epoch: int) -> dict:
        r"""What a checkpoint after ``epoch`` epochs keeps; ``best_state``
        is :obj:`None` when it is that epoch's state."""
        best_state = None if self.best_epoch == epoch else self.best_state
        return dict(best_loss=self.best_loss, best_epoch=self.best_epoch,
                    best_state=best_state, bad_epochs=self.bad_epochs)

    def load_state_dict(self, state: dict, current: Dict[str, Tensor]) -> None:
        r"""Restores :meth:`state_dict`'s ``state``; ``current`` is the model
        state saved with it."""
        self.best_loss, self.bad_epochs = state['best_loss'], state['bad_epochs']
        self.best_epoch, self.best_state = state['best_epoch'], state['best_state']
        if self.best_state is None and self.best_epoch is not None:
            self.best_state = {key: value.detach().cpu().clone()
                               for key, value in current.items()}


def after_fit_figures(model: SuperResolutionModel,
                      val: ConnectomeTensors) -> Dict[str, float]:
    r"""``model.after_fit`` on the validation subjects ``val`` and their
    groups: the figures it returns."""
    return model.after_fit(val.lr_adj, val.require_hr('the after-fit hook'),
                           val.group_index)


def refit_model(model: SuperResolutionModel, everything: ConnectomeTensors) -> None:
    r""":meth:`~torch_gsr.nn.SuperResolutionModel.refit` on every training
    sample, moved to the model's device and dtype, with their groups as
    :func:`~torch_gsr.train.members.initialize_model` passes them."""
    like = next(itertools.chain(model.parameters(), model.buffers()))
    everything = everything.check().to(like.device, like.dtype)
    model.refit(everything.lr_adj, everything.require_hr('fit'), everything.shared_groups)


class AfterFit(Callback):
    r"""Calls the model's
    :meth:`~torch_gsr.nn.SuperResolutionModel.after_fit` with the validation
    subjects, if any, and records what it returns in the history; then its
    :meth:`~torch_gsr.nn.SuperResolutionModel.refit` with every training
    sample, when the validation ones were held out of them."""
    def on_fit_end(self, run: FitRun) -> None:
        r"""Runs the hooks."""
        if run.val is not None:
            run.history.after_fit.update(after_fit_figures(run.model, run.val))
        if run.everything is not None:
            refit_model(run.model, run.everything)


class CheckpointWriter(Callback):
    r"""Writes the run's resumable state to ``path`` at most every
    ``every`` seconds and once the run has ended (with the returned model's
    state); a model's derived state is written at the end only.

    Args:
        path (str): the checkpoint file.
        early_stopping (EarlyStopping): whose state the checkpoint holds.
        every (float, optional): seconds between two writes during training
            (:obj:`None`: :data:`CHECKPOINT_EVERY`; ``0``: every epoch).
        write (callable): writes a checkpoint dictionary to a path.
            (default: :func:`~torch_gsr.train.checkpoint.write_checkpoint`)
        clock (callable): the time in seconds.
            (default: :func:`time.monotonic`)
    """
    def __init__(self, path: str, early_stopping: EarlyStopping,
                 every: Optional[float] = None,
                 write: Callable[[str, dict], None] = write_checkpoint,
                 clock: Callable[[], float] = time.monotonic):
        self.path, self.early_stopping = path, early_stopping
        self.every = CHECKPOINT_EVERY if every is None else every
        if not self.every >= 0:
            raise ValueError(f"checkpoint_every must be >= 0 seconds, got {every!r}")
        self.write, self.clock = write, clock
        self.written = self.clock()
        self.last_state: Dict[str, Tensor] = {}

    def on_fit_start(self, run: FitRun) -> None:
        r"""Starts the clock."""
        self.written = self.clock()

    def _checkpoint(self, run: FitRun, state: Dict[str, Tensor],
                    final_state: Optional[Dict[str, Tensor]] = None) -> dict:
        return training_checkpoint(
            run.model, run.optimizer, run.shuffle, run.history, run.fit_options,
            self.early_stopping.state_dict(len(run.history)), state, final_state)

    def on_epoch_end(self, run: FitRun, record: Dict[str, float]) -> None:
        r"""Writes the resumable state when ``every`` seconds have passed."""
        due = self.clock() - self.written >= self.every
        # Every rank must take the same decision: writing is collective.
        if bool(dist.all_reduce_sum(torch.tensor([float(due)]))[0] > 0):
            self.write(self.path, self._checkpoint(
                run, model_state(run.model, derived=False)))
            self.written = self.clock()

    def on_train_end(self, run: FitRun) -> None:
        r"""Keeps the last epoch's state, which a resume continues from."""
        # The last epoch's state, before the best one may be restored.
        self.last_state = model_state(run.model, derived=False, copy=True)

    def on_fit_end(self, run: FitRun) -> None:
        r"""Writes the end of the run, with the returned model's state."""
        self.write(self.path, self._checkpoint(run, self.last_state,
                                               run.model.state_dict()))
