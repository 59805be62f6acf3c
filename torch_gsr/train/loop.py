r"""The training loop, :func:`fit`: dense ``[B, N, N]`` batches of a
:class:`~torch_gsr.train.ConnectomeTensors` gathered once, and the callbacks
of :mod:`~torch_gsr.train.callbacks` around the epochs."""
import functools
import time
from dataclasses import asdict
from typing import Callable, Dict, List, Optional, Sequence

import torch

from .. import distributed as dist
from ..nn.base import SuperResolutionModel
from ..utils.progress import Progress
from .callbacks import (
    AfterFit,
    Callback,
    CheckpointWriter,
    EarlyStopping,
    FitRun,
    LearningRateSchedule,
)
from .checkpoint import (
    derived_keys_lacking,
    load_state,
    read_checkpoint,
    resumable_state,
    set_rng_state,
    write_checkpoint,
)
from .epoch import NonFiniteLossError
from .epoch import train_epoch as _train_epoch
from .epoch import validation_loss as _validation_loss
from .history import History, format_record
from .holdout import split_validation
from .members import fit_members
from .options import (
    fit_config,
    planned_epochs,
    renamed_learning_rate,
    updates_per_epoch,
)
from .sharding import LossModule, data_parallel
from .tensors import ConnectomeTensors, prepare

# fit calls _train_epoch, _validation_loss and write_checkpoint by these
# module-level names (tests substitute them).
__all__ = ['fit', 'NonFiniteLossError', '_train_epoch', '_validation_loss',
           'write_checkpoint']


def fit(model: SuperResolutionModel, dataset, epochs: Optional[int] = None,
        learning_rate: Optional[float] = None, batch_size: Optional[int] = None,
        device=None, seed: int = 0, preset: str = 'recommended',
        weight_decay: Optional[float] = None, val_dataset=None,
        val_fraction: Optional[float] = None, patience: Optional[int] = None,
        stop_after: Optional[float] = None, updates: Optional[int] = None,
        schedule: Optional[str] = None, clip_grad_norm: Optional[float] = None,
        checkpoint: Optional[str] = None, resume: Optional[str] = None,
        progress: bool = True, log: Optional[Callable[[str], None]] = None,
        distributed: bool = False, lr: Optional[float] = None,
        checkpoint_every: Optional[float] = None,
        accumulate: Optional[int] = None, groups: Optional[Sequence] = None,
        split: Optional[str] = None, gap: Optional[int] = None,
        callbacks: Sequence[Callback] = ()) -> History:
    r"""Trains ``model`` in place with Adam on its loss.

    Options left at :obj:`None` take ``type(model).fit_presets[preset]``'s
    values (:class:`~torch_gsr.config.FitConfig`). docs/training.md
    describes the options, the checkpoints, resuming and distributed runs.

    Args:
        model (SuperResolutionModel): the model to train.
        dataset: a PyG dataset of pairs, ``(lr_adj, hr_adj)`` or a ConnectomeTensors.
        epochs (int, optional): epochs to run, also when resuming.
        learning_rate (float, optional): Adam's (peak) learning rate.
        batch_size (int, optional): subjects per update (global under DDP).
        device (torch.device or str, optional): where to train. (default: the model's)
        seed (int): seeds shuffling, the validation split and torch. (default: :obj:`0`)
        preset (str): the fit preset. (default: :obj:`'recommended'`)
        weight_decay (float, optional): Adam's weight decay.
        val_dataset (optional): validation data, in the forms of ``dataset``.
        val_fraction (float, optional): the seeded share of ``dataset`` held out.
        patience (int, optional): epochs without a lower ``val_<model.monitor>``.
        stop_after (float, optional): the share of epochs run before stopping.
        updates (int, optional): the update budget without ``epochs``.
        schedule (str, optional): ``'constant'`` or ``'cosine'`` learning rate.
        clip_grad_norm (float, optional): clip the gradients' total 2-norm.
        checkpoint (str, optional): file of the run's resumable state (atomic writes).
        resume (str, optional): a checkpoint to continue from (bit-identical on CPU).
        progress (bool): report every epoch. (default: :obj:`True`)
        log (callable, optional): receives a line per epoch instead.
        distributed (bool): train in all ``torchrun`` processes. (default: :obj:`False`)
        lr (float, optional): deprecated name of ``learning_rate``.
        checkpoint_every (float, optional): seconds between two writes of
            ``checkpoint`` (the end is always written). (default: :obj:`300.`)
        accumulate (int, optional): batches summed into one update.
        groups (sequence, optional): a group label per sample, kept together.
        split (str, optional): ``'auto'``, ``'groups'`` or ``'blocks'`` (``FitConfig``).
        gap (int, optional): samples left out beside a held-out block.
        callbacks (sequence of Callback): called after the built-in ones.

    Returns:
        History: the record of every epoch (those before ``resume`` too).
    """
    learning_rate = renamed_learning_rate(learning_rate, lr)
    config = fit_config(model, preset, epochs=epochs, batch_size=batch_size,
                        learning_rate=learning_rate,
                        weight_decay=weight_decay, val_fraction=val_fraction,
                        patience=patience, stop_after=stop_after,
                        updates=updates, schedule=schedule, accumulate=accumulate,
                        split=split, gap=gap)
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be > 0, got {clip_grad_norm!r}")
    if checkpoint_every is not None and not checkpoint_every >= 0:
        raise ValueError(f"checkpoint_every must be >= 0 seconds, got {checkpoint_every!r}")
    device = torch.device(device) if device is not None \
        else next(model.parameters()).device
    if distributed:
        device = dist.init_process_group(device)
        progress = progress and dist.is_main_process()
    model.to(device)
    data = ConnectomeTensors.from_data(dataset, groups)
    data.require_hr('fit')
    train, val = split_validation(data, val_dataset, config,
                                  val_fraction is not None, seed)
    if patience is not None and val is None:
        raise ValueError("patience (early stopping) needs validation data: "
                         "pass val_dataset or val_fraction > 0")
    if model.members_trained_alone():
        # Every member as it would train alone: this call's options, the
        # member's own fit preset for the rest.
        fit_member = functools.partial(
            fit, epochs=epochs, learning_rate=learning_rate,
            batch_size=batch_size, device=device, seed=seed, preset=preset,
            weight_decay=weight_decay, patience=patience, stop_after=stop_after,
            updates=updates, schedule=schedule, clip_grad_norm=clip_grad_norm,
            progress=progress, log=log, distributed=distributed,
            checkpoint_every=checkpoint_every, accumulate=accumulate, callbacks=callbacks)
        return fit_members(model, train, val, fit_member, device, checkpoint, resume,
                           dict(asdict(config), seed=seed, preset=preset))
    train, val = _prepared(model, train, val, device, progress and log is None)
    patience = config.patience if val is not None else None
    num_epochs = planned_epochs(config, train.num_subjects)
    steps = updates_per_epoch(config, train.num_subjects)
    saved, state = None, None
    if resume is not None:
        saved = read_checkpoint(resume, device)
        state = resumable_state(resume, saved, model)
    if state is None or derived_keys_lacking(model, state):
        model.initialize(train.lr_adj, train.require_hr('fit'))

    # The fused kernel (CPU and CUDA) updates all parameters in one pass.
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate,
                                 weight_decay=config.weight_decay, fused=True)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    early_stopping = EarlyStopping(patience, config.stop_after * num_epochs)
    history = History(planned_epochs=num_epochs,
                      val_subjects=0 if val is None else val.num_subjects)
    if resume is not None and saved is not None and state is not None:
        load_state(resume, model, state, model.derived_state_keys())
        optimizer.load_state_dict(saved['optimizer_state'])
        set_rng_state(saved['rng'], shuffle)
        history = History.from_dict(saved['history'])
        history.planned_epochs = num_epochs
        early_stopping.load_state_dict(saved['early_stopping'], state)
    start = len(history)
    end = start if history.stopped_early else num_epochs

    step: torch.nn.Module = LossModule(model)
    if distributed:  # after resume: DDP broadcasts rank 0's parameters
        step = data_parallel(step, device)
    fit_options = dict(asdict(config), seed=seed, preset=preset, patience=patience,
                       clip_grad_norm=clip_grad_norm, epochs=num_epochs)
    run = FitRun(model, optimizer, shuffle, history, fit_options, val)
    built_in: List[Callback] = [early_stopping, AfterFit()]
    if checkpoint is not None:
        built_in.append(CheckpointWriter(checkpoint, early_stopping,
                                         checkpoint_every, write_checkpoint))
    callbacks = built_in + list(callbacks)
    schedule_ = LearningRateSchedule(config.learning_rate, config.schedule,
                                     num_epochs * steps, steps)
    # One channel: a bar on a terminal, else (or with ``log``) a line per
    # epoch; only rank 0 reports.
    display = Progress(end, 'epoch', log=log, every=0, initial=start,
                       enabled=(progress or log is not None) and dist.is_main_process(),
                       fractional=True)
    for callback in callbacks:
        callback.on_fit_start(run)
    for epoch in range(start, end):
        began = time.perf_counter()
        record: Dict[str, float] = dict(epoch=epoch + 1)
        record.update(_train_epoch(step, optimizer, train, config.batch_size,
                                   shuffle, epoch + 1, clip_grad_norm,
                                   schedule_.for_epoch(epoch), display,
                                   config.accumulate))
        if val is not None:
            record.update(_validation_loss(LossModule(model), val, config.batch_size))
        record['time'] = time.perf_counter() - began
        history.records.append(record)
        display.step(format_record(record))
        for callback in callbacks:
            callback.on_epoch_end(run, record)
        if run.stop:
            break
    display.close()
    for callback in callbacks:
        callback.on_train_end(run)
    for callback in callbacks:
        callback.on_fit_end(run)
    model.eval()
    return history


def _prepared(model: SuperResolutionModel, train, val, device: torch.device,
              show_spectra: bool):
    r"""``train`` and ``val`` checked and on ``device``, with the spectra
    ``model`` uses."""
    # The spectra are shown on the default channel only (``log`` is for the
    # epochs); the validation ones are a fraction of the training ones.
    train = prepare(model, train, device, show_spectra)
    if val is not None:
        val = prepare(model, val, device, False)
        val.require_hr('validation')
    return train, val
