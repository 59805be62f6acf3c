r"""The training loop, :func:`fit`: dense ``[B, N, N]`` batches of a
:class:`~torch_gsr.train.ConnectomeTensors` gathered once, and the callbacks
of :mod:`~torch_gsr.train.callbacks` around the epochs."""
import functools
import time
from dataclasses import asdict
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import torch

from .. import distributed as dist
from ..config.fit import FitConfig
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
from .holdout import refit_samples, split_validation
from .members import fit_members, initialize_model
from .options import (
    fit_config,
    planned_epochs,
    updates_per_epoch,
)
from .sharding import LossModule, data_parallel
from .tensors import ConnectomeTensors, prepare

# fit calls _train_epoch, _validation_loss and write_checkpoint by these
# module-level names (tests substitute them).
__all__ = ['fit', 'NonFiniteLossError', '_train_epoch', '_validation_loss',
           'write_checkpoint']


def fit(model: SuperResolutionModel, dataset,
        config: Union[FitConfig, str, None] = None, *, val_dataset=None,
        groups: Optional[Sequence] = None, callbacks: Sequence[Callback] = (),
        device=None, seed: int = 0,
        progress: Union[bool, Callable[[str], None]] = True,
        checkpoint: Optional[str] = None, resume: Optional[str] = None,
        **options: Any) -> History:
    r"""Trains ``model`` in place with Adam on its loss.

    ``config`` and ``options`` give the :class:`~torch_gsr.config.FitConfig`
    (:func:`~torch_gsr.train.options.fit_config`): a preset of
    ``type(model).fit_presets`` or an instance, with the options given as
    keywords (its fields: ``epochs``, ``learning_rate``, ``batch_size``,
    ``val_fraction``, ``patience``, ``split``, ...) replaced.
    docs/training.md describes the options, checkpoints, resuming, groups
    and distributed runs.

    Args:
        model (SuperResolutionModel): the model to train.
        dataset: a PyG dataset of pairs, ``(lr_adj, hr_adj)`` or a ConnectomeTensors.
        config (FitConfig or str, optional): the settings, or a preset name.
            (default: :obj:`'recommended'`)
        val_dataset (optional): validation data, in the forms of ``dataset``.
        groups (sequence, optional): a group label per sample, kept together.
        callbacks (sequence of Callback): called after the built-in ones.
        device (torch.device or str, optional): where to train. (default: the model's)
        seed (int): seeds shuffling, the validation split and torch. (default: :obj:`0`)
        progress (bool or callable): report every epoch (a bar on a terminal,
            else a line); a callable receives the lines. (default: :obj:`True`)
        checkpoint (str, optional): file of the run's resumable state (atomic writes).
        resume (str, optional): a checkpoint to continue from (bit-identical on CPU).
        **options: fields of :class:`~torch_gsr.config.FitConfig` (and
            ``preset``, a name for ``config``).

    Returns:
        History: the record of every epoch (those before ``resume`` too).
    """
    given, config = config, fit_config(model, config, **options)
    explicit = {key for key, value in options.items() if value is not None}
    device = torch.device(device) if device is not None \
        else next(model.parameters()).device
    if config.distributed:
        device = dist.init_process_group(device)
        progress = progress if dist.is_main_process() else False
    model.to(device)
    data = ConnectomeTensors.from_data(dataset, groups)
    data.require_hr('fit')
    train, val = split_validation(data, val_dataset, config,
                                  'val_fraction' in explicit, seed)
    everything = refit_samples(data, train)
    if 'patience' in explicit and val is None:
        raise ValueError("patience (early stopping) needs validation data: "
                         "pass val_dataset or val_fraction > 0")
    if model.members_trained_alone():
        # Every member as it would train alone: this call's options, the
        # member's own fit preset for the rest.
        member_options = {key: options[key] for key in explicit
                          if key not in ('val_fraction', 'split', 'gap')}
        fit_member = functools.partial(
            fit, config=given, device=device, seed=seed, progress=progress,
            callbacks=callbacks, **member_options)
        return fit_members(model, train, val, fit_member, device, everything, checkpoint, resume,
                           dict(asdict(config), seed=seed))
    train, val = _prepared(model, train, val, device, progress is True)
    patience = config.patience if val is not None else None
    num_epochs = planned_epochs(config, train.num_subjects)
    steps = updates_per_epoch(config, train.num_subjects)
    saved, state = None, None
    if resume is not None:
        saved = read_checkpoint(resume, device)
        state = resumable_state(resume, saved, model)
    if state is None or derived_keys_lacking(model, state):
        initialize_model(model, train)

    # The fused kernel (CPU and CUDA) updates all parameters in one pass.
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate,
                                 weight_decay=config.weight_decay, fused=True)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    early_stopping = EarlyStopping(patience, config.stop_after * num_epochs,
                                   config.warm_up)
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
    if config.distributed:  # after resume: DDP broadcasts rank 0's parameters
        step = data_parallel(step, device)
    preset = given if isinstance(given, str) else options.get('preset')
    fit_options = dict(asdict(config), seed=seed, preset=preset, patience=patience,
                       epochs=num_epochs)
    run = FitRun(model, optimizer, shuffle, history, fit_options, val, everything)
    built_in: List[Callback] = [early_stopping, AfterFit()]
    if checkpoint is not None:
        built_in.append(CheckpointWriter(checkpoint, early_stopping,
                                         config.checkpoint_every, write_checkpoint))
    callbacks = built_in + list(callbacks)
    schedule_ = LearningRateSchedule(config.learning_rate, config.schedule,
                                     num_epochs * steps, steps)
    # One channel: a bar on a terminal, else (or to a callable ``progress``)
    # a line per epoch; only rank 0 reports.
    display = Progress(end, 'epoch', log=None if isinstance(progress, bool) else progress,
                       every=0, initial=start,
                       enabled=bool(progress) and dist.is_main_process(), fractional=True)
    for callback in callbacks:
        callback.on_fit_start(run)
    for epoch in range(start, end):
        began = time.perf_counter()
        record: Dict[str, float] = dict(epoch=epoch + 1)
        record.update(_train_epoch(step, optimizer, train, config.batch_size,
                                   shuffle if config.shuffle else None,
                                   epoch + 1, config.clip_grad_norm,
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
    # The spectra are shown on the default channel only (a callable is for the
    # epochs); the validation ones are a fraction of the training ones.
    train = prepare(model, train, device, show_spectra)
    if val is not None:
        val = prepare(model, val, device, False)
        val.require_hr('validation')
    return train, val
