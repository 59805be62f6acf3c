r"""The training loop (:func:`fit`) and inference (:func:`predict`,
:func:`evaluate`) on dense ``[B, N, N]`` batches of a
:class:`~torch_gsr.train.ConnectomeTensors`, gathered once: no
eigendecomposition and no per-subject Python loop runs in a training step."""
import functools
import math
import time
from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import Tensor

from .. import distributed as dist
from ..metrics import Evaluation, evaluate_predictions
from ..nn.models import GSRModel
from ..presets import DEFAULT_PRESET
from ..utils.progress import Progress, track
from ..utils.validation import check_int
from .checkpoint import CHECKPOINT_VERSION, resume_state, rng_state, write_checkpoint
from .history import LOSS_TERMS, History, format_record
from .options import (
    learning_rate_at,
    planned_epochs,
    renamed_learning_rate,
    resolve_fit_options,
    split_validation,
)
from .tensors import ConnectomeTensors, index_batches, prepare, rows


class NonFiniteLossError(FloatingPointError):
    r"""A training loss became NaN or inf.

    Attributes:
        epoch (int): the (1-based) epoch in which it happened.
        indices (list of int): dataset indices of the offending batch.
        subjects (list of str): their subject ids.
    """
    def __init__(self, message: str, epoch: int, indices: List[int],
                 subjects: List[str]):
        super().__init__(message)
        self.epoch, self.indices, self.subjects = epoch, indices, subjects


class _LossModule(torch.nn.Module):
    r"""A model's forward pass and loss as one module. The eigen loss reads
    ``gsr.weight`` outside :meth:`GSRModel.forward`; running the loss inside
    this module's forward is what makes DDP all-reduce that gradient too."""
    def __init__(self, model: GSRModel):
        super().__init__()
        self.model = model

    def forward(self, lr_adj: Tensor, lr_eigvecs: Tensor, hr_adj: Tensor,
                hr_eigvecs: Tensor):
        # prepare checked the values once for the whole dataset.
        out = self.model(lr_adj, lr_eigvecs, validate=False)
        return self.model.loss(out, hr_adj, hr_eigvecs, validate=False)


def _batch_loss(step: torch.nn.Module, data: ConnectomeTensors, index: Tensor):
    # prepare() filled in the HR connectomes and spectra.
    assert data.hr_adj is not None and data.hr_eigvecs is not None
    return step(data.lr_adj[index], rows(data.lr_eigvecs, index),
                data.hr_adj[index], data.hr_eigvecs[index])


def _guarded_loss(step, data: ConnectomeTensors, index: Tensor):
    r"""``(loss, None)``, or in distributed training ``(None, exception)``
    for :func:`~torch_gsr.distributed.raise_if_any_failed` to raise in every
    rank."""
    if not dist.is_distributed():
        return _batch_loss(step, data, index), None
    try:
        return _batch_loss(step, data, index), None
    except Exception as error:  # re-raised by every rank, see the docstring
        return None, error


def _sharded_loss(step, data: ConnectomeTensors, index: Tensor, what: str):
    r"""This process's loss on its shard of the global batch ``index``, the
    shard's weight (:func:`~torch_gsr.distributed.shard`) and the batch's
    loss-term sums over subjects of all processes (``[4]``, float64, CPU)."""
    part, weight = dist.shard(index)
    loss, error = _guarded_loss(step, data, part.to(data.lr_adj.device))
    dist.raise_if_any_failed(error, what)
    subjects = part.numel() if weight else 0
    sums = torch.stack(list(loss)).detach().double() * subjects
    return loss, weight, dist.all_reduce_sum(sums).cpu()


def _check_finite(sums: Tensor, epoch: int, index: Tensor,
                  data: ConnectomeTensors) -> None:
    # ``sums`` is reduced over ranks, so every rank raises the same error.
    if bool(torch.isfinite(sums).all()):
        return
    bad = [name for name, value in zip(LOSS_TERMS, sums, strict=True)
           if not bool(torch.isfinite(value))]
    indices = index.tolist()
    subjects = [data.subjects[i] for i in indices]
    raise NonFiniteLossError(
        f"non-finite loss ({', '.join(bad)}) in epoch {epoch} on the batch of "
        f"subjects {subjects} (training-set indices {indices}); the last good "
        f"checkpoint, if any, was kept", epoch, indices, subjects)


def _train_epoch(step, optimizer, data: ConnectomeTensors, batch_size: int,
                 shuffle: torch.Generator, epoch: int,
                 clip_grad_norm: Optional[float],
                 learning_rate_at: Callable[[int], float],
                 display: Progress) -> Dict[str, float]:
    r"""One epoch; ``learning_rate_at(k)`` is the rate of the epoch's
    ``k``-th update."""
    step.train()
    sums = torch.zeros(len(LOSS_TERMS), dtype=torch.float64)
    batches = index_batches(data.num_subjects, batch_size, shuffle)
    for k, index in enumerate(batches):
        for group in optimizer.param_groups:
            group['lr'] = learning_rate_at(k)
        loss, weight, batch_sums = _sharded_loss(
            step, data, index, f'the training step in epoch {epoch}')
        _check_finite(batch_sums, epoch, index, data)
        optimizer.zero_grad()
        # DDP averages gradients over ranks; the weight turns that average
        # into the gradient of the mean loss over the global batch.
        (loss.total * weight).backward()
        if clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(step.parameters(), clip_grad_norm)
        optimizer.step()
        sums += batch_sums
        display.advance(1 / len(batches))
    record = dict(zip(LOSS_TERMS, (sums / data.num_subjects).tolist(), strict=True))
    record['learning_rate'] = learning_rate_at(len(batches) - 1)
    return record


@torch.no_grad()
def _validation_loss(step, data: ConnectomeTensors,
                     batch_size: int) -> Dict[str, float]:
    step.eval()
    sums = torch.zeros(len(LOSS_TERMS), dtype=torch.float64)
    for index in index_batches(data.num_subjects, batch_size):
        sums += _sharded_loss(step, data, index, 'validation')[2]
    return {f'val_{name}': value for name, value
            in zip(LOSS_TERMS, (sums / data.num_subjects).tolist(), strict=True)}


def _cpu_state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def fit(model: GSRModel, dataset, epochs: Optional[int] = None,
        learning_rate: Optional[float] = None, batch_size: Optional[int] = None,
        device=None, seed: int = 0, preset: str = DEFAULT_PRESET,
        weight_decay: Optional[float] = None, val_dataset=None,
        val_fraction: Optional[float] = None, patience: Optional[int] = None,
        stop_after: Optional[float] = None,
        updates: Optional[int] = None, schedule: Optional[str] = None,
        clip_grad_norm: Optional[float] = None,
        checkpoint: Optional[str] = None, resume: Optional[str] = None,
        progress: bool = True,
        log: Optional[Callable[[str], None]] = None,
        distributed: bool = False, lr: Optional[float] = None) -> History:
    r"""Trains ``model`` in place with Adam on the GSR-Net loss.

    Every option left at ``None`` takes the ``preset``'s value. The
    recommended preset adapts to the data set: it holds out a seeded 10% of
    ``dataset`` for validation, trains for an update budget (``updates``
    optimiser steps rather than a fixed epoch count), decays the learning
    rate along a cosine to 0 over that budget, and from half the planned
    epochs on (``stop_after``) stops after ``patience`` epochs without a
    lower validation HR loss; it restores the best validation epoch's
    weights. The returned :class:`History` says what
    happened (``planned_epochs``, ``len(history)``, ``best_epoch``,
    ``stopped_early``, ``val_subjects``, the rate per epoch). ``"paper"``
    trains on all of ``dataset`` for 200 epochs at a constant rate, as
    published.

    A model with an ``initialize(lr_adj, hr_adj)`` method (e.g.
    :class:`~torch_gsr.nn.NodeMapGSR`, or a GSR model with
    ``mean_residual``: both start from the training-mean connectomes) gets
    it called once with the training tensors
    (``[S, N_l, N_l]``, ``[S, N_h, N_h]``, validation subjects excluded)
    before the first update; not when resuming, as the checkpoint holds the
    result. A model with a ``ridge_blend``
    (:class:`~torch_gsr.nn.RidgeBlend`, e.g. NodeMapGSR's) has its blend
    weight chosen on the validation subjects after the last epoch (and the
    restoration of the best weights); it is ``history.ridge_weight``.

    Args:
        model (GSRModel): the model to train.
        dataset: training data: a PyG dataset of
            :class:`~torch_gsr.datasets.ConnectomePair`, a tuple
            ``(lr_adj [S, N_l, N_l], hr_adj [S, N_h, N_h])`` or
            :class:`ConnectomeTensors`.
        epochs (int, optional): total epochs, also when resuming (``None``:
            the preset's; ``None`` in the preset means "as many as
            ``updates`` needs", :func:`planned_epochs`).
        learning_rate (float, optional): Adam's (peak) learning rate
            (``None``: the preset's).
        batch_size (int, optional): subjects per update (``None``: the
            preset's).
        weight_decay (float, optional): Adam's weight decay (``None``: the
            preset's).
        updates (int, optional): the update budget used when ``epochs`` is
            ``None`` (default: the preset's).
        schedule (str, optional): ``'constant'`` or ``'cosine'`` (from
            ``learning_rate`` to 0 over all planned updates).
        device (torch.device or str, optional): where to train (default:
            the model's device). The model is moved there.
        seed (int): seeds the shuffling, the validation split and the global
            torch RNG (dropout); the same seed gives the same numbers on CPU.
        preset (str): named defaults, ``"recommended"`` or ``"paper"``
            (:mod:`torch_gsr.presets`).
        val_dataset: validation data, same forms as ``dataset``.
        val_fraction (float, optional): or hold out this fraction of
            ``dataset`` (seeded) for validation (default: the preset's,
            which is skipped when ``val_dataset`` is given or when the data
            set is too small to spare a subject; ``0``: no validation).
        patience (int, optional): early stopping: stop after ``patience``
            epochs without a lower validation HR loss, then restore the
            weights of the best epoch. Given explicitly it needs validation
            data; the preset's applies only when there is some.
        stop_after (float, optional): the fraction of the planned epochs
            that always runs before early stopping may stop (``None``: the
            preset's; the best epoch is tracked from the first epoch
            either way).
        clip_grad_norm (float, optional): clip the gradients' total 2-norm.
        checkpoint (str, optional): file written (atomically) after every
            epoch. Layout: ``version``, ``model_config``
            (:meth:`GSRModel.get_config`), ``model_state``,
            ``optimizer_state``, ``epoch`` (epochs completed), ``rng``
            (``torch``, ``shuffle``, ``cuda`` states), ``history``
            (:meth:`History.to_dict`), ``fit_options``, ``early_stopping``
            (``best_loss``, ``best_epoch``, ``best_state``, ``bad_epochs``).
            Once the run ends it is rewritten with ``final_state``, the
            state of the model this call returns (best weights restored,
            ridge blend calibrated), which
            :func:`~torch_gsr.train.load_checkpoint` loads; ``model_state``
            stays the last epoch's, which ``resume`` continues from.
        resume (str, optional): checkpoint to continue from; a run resumed
            with the same arguments ends with the same parameters as an
            uninterrupted one (bit-identical on CPU). A run that had stopped
            early trains no further. The file is read safely
            (``weights_only=True``); a bad one is a one-line ``ValueError``
            naming it.
        progress (bool): report every epoch on one channel
            (:mod:`torch_gsr.utils.progress`): a tqdm bar with the loss
            terms, moving with every batch, when standard error is a
            terminal, otherwise one line per
            epoch (``epoch 3/12: total=... hr=... (0.52s)``) on standard
            error. ``False``: silent.
        log (callable, optional): receives that line per epoch instead (e.g.
            ``logging.getLogger(...).info``); no bar is drawn then, whatever
            ``progress`` says.
        distributed (bool): train in all processes started by ``torchrun``
            (:func:`torch_gsr.distributed.init_process_group`; backend
            ``gloo`` on CPU, ``nccl`` on CUDA, where each process takes
            ``cuda:LOCAL_RANK``) with
            :class:`~torch.nn.parallel.DistributedDataParallel`. Every
            process draws the same seeded permutation each epoch and trains
            on its contiguous shard of every batch, so ``batch_size`` is the
            **global** batch size and the run follows the one-process run with
            the same arguments (up to floating-point rounding). It need not
            be divisible by the world size: shards differ by at most one
            subject and gradients are weighted by shard size. The loss terms
            in the history and log are reduced over all processes (the whole
            data set's); only rank 0 shows progress, logs and writes
            ``checkpoint``; every rank reads ``resume``. A failure in one
            process raises in all of them (:class:`NonFiniteLossError`, or
            :class:`~torch_gsr.distributed.RankFailedError` for exceptions).

        lr (float, optional): deprecated name of ``learning_rate`` (``lr``
            means "low resolution" everywhere else in the package).

    Returns:
        History: the loss terms of every epoch (those before ``resume``
        included).

    Raises:
        ValueError: bad arguments or data that does not fit the model.
        NonFiniteLossError: a NaN/inf loss (names the epoch and subjects);
            ``checkpoint`` still holds the last completed epoch.
    """
    learning_rate = renamed_learning_rate(learning_rate, lr)
    options = resolve_fit_options(preset, epochs=epochs,
                                   learning_rate=learning_rate,
                                   batch_size=batch_size,
                                   weight_decay=weight_decay, updates=updates,
                                   patience=patience, stop_after=stop_after,
                                   schedule=schedule)
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be > 0, got {clip_grad_norm!r}")
    device = torch.device(device) if device is not None \
        else next(model.parameters()).device
    if distributed:
        device = dist.init_process_group(device)
        progress = progress and dist.is_main_process()
    model.to(device)

    data = ConnectomeTensors.from_data(dataset)
    data.require_hr('fit')
    train, val = split_validation(data, val_dataset, val_fraction,
                                   options['val_fraction'], seed)
    if patience is not None and val is None:
        raise ValueError("patience (early stopping) needs validation data: "
                         "pass val_dataset or val_fraction > 0")
    patience = options['patience'] if val is not None else None
    # The spectra are shown on the default channel only: ``log`` is for
    # the epochs.
    spectra_shown = progress and log is None
    train = prepare(model, train, device, spectra_shown)
    if val is not None:
        # The validation spectra are a fraction of the training ones: one
        # progress line covers the phase.
        val = prepare(model, val, device, False)
        val.require_hr('validation')
    num_epochs = planned_epochs(options, train.num_subjects)
    batches_per_epoch = math.ceil(train.num_subjects / options['batch_size'])
    initialize = getattr(model, 'initialize', None)
    if resume is None and callable(initialize):
        initialize(train.lr_adj, train.require_hr('fit'))

    # The fused kernel (CPU and CUDA) updates all parameters in one pass.
    optimizer = torch.optim.Adam(model.parameters(), lr=options['learning_rate'],
                                 weight_decay=options['weight_decay'],
                                 fused=True)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    history = History(planned_epochs=num_epochs,
                      val_subjects=0 if val is None else val.num_subjects)
    stopping: Dict[str, Any] = dict(best_loss=math.inf, best_epoch=None, best_state=None,
                    bad_epochs=0)
    start = 0
    if resume is not None:
        start, history, stopping = resume_state(resume, model, optimizer, shuffle)
        history.planned_epochs = num_epochs

    step: torch.nn.Module = _LossModule(model)
    if distributed:
        # Built after ``resume``: DDP broadcasts rank 0's parameters.
        # No buffer changes in training (initialize set them alike in every
        # rank), and a ridge part's are too large to broadcast every step.
        step = torch.nn.parallel.DistributedDataParallel(
            step, device_ids=[device] if device.type == 'cuda' else None,
            broadcast_buffers=False)
    # One channel: a bar on a terminal, else (or with ``log``) a line per
    # epoch; only rank 0 reports.
    shown = (progress or log is not None) and dist.is_main_process()
    fit_options = dict(options, seed=seed, preset=preset, patience=patience,
                       clip_grad_norm=clip_grad_norm, epochs=num_epochs)
    end = num_epochs if not history.stopped_early else start

    def saved(model_state: dict) -> dict:
        return dict(version=CHECKPOINT_VERSION, model_config=model.get_config(),
                    model_state=model_state,
                    optimizer_state=optimizer.state_dict(), epoch=len(history),
                    rng=rng_state(shuffle), history=history.to_dict(),
                    fit_options=fit_options, early_stopping=stopping)

    display = Progress(end, 'epoch', enabled=shown, log=log, every=0,
                       initial=start, fractional=True)
    for epoch in range(start, end):
        began = time.perf_counter()
        record: Dict[str, float] = dict(epoch=epoch + 1)
        first_step = epoch * batches_per_epoch
        record.update(_train_epoch(
            step, optimizer, train, options['batch_size'], shuffle, epoch + 1,
            clip_grad_norm, functools.partial(
                learning_rate_at, options, num_epochs * batches_per_epoch, first_step),
            display))
        if val is not None:
            record.update(_validation_loss(_LossModule(model), val,
                                           options['batch_size']))
        record['time'] = time.perf_counter() - began
        history.records.append(record)
        display.step(format_record(record))
        if val is not None:
            _track_best(stopping, model, record)
            history.best_epoch = stopping['best_epoch']
        done = (patience is not None and stopping['bad_epochs'] >= patience
                and epoch + 1 >= options['stop_after'] * num_epochs)
        history.stopped_early = done
        if checkpoint is not None:
            write_checkpoint(checkpoint, saved(model.state_dict()))
        if done:
            break
    display.close()
    last_state = _cpu_state(model) if checkpoint is not None else {}
    if patience is not None and stopping['best_state'] is not None:
        model.load_state_dict(stopping['best_state'])
    if val is not None and getattr(model, 'ridge_blend', None) is not None:
        history.ridge_weight = _calibrate_ridge_blend(model, val)
    if checkpoint is not None:
        # A resumed run continues from the last epoch's weights; the model
        # this call returns (best weights, calibrated blend) is what
        # load_checkpoint rebuilds.
        write_checkpoint(checkpoint, dict(saved(last_state),
                                          final_state=model.state_dict()))
    model.eval()
    return history


def _calibrate_ridge_blend(model, val: ConnectomeTensors) -> float:
    r"""Chooses the weight of ``model.ridge_blend`` on the validation
    subjects, from the model's own predictions (made with weight 0)."""
    model.ridge_blend.weight.zero_()
    model_hr_adj = predict(model, val)
    return model.ridge_blend.calibrate(val.lr_adj, model_hr_adj.to(val.lr_adj),
                                       val.require_hr('calibration'))


def _track_best(stopping: dict, model, record: Dict[str, float]) -> None:
    if record['val_hr'] < stopping['best_loss']:
        stopping.update(best_loss=record['val_hr'], best_epoch=record['epoch'],
                        best_state=_cpu_state(model), bad_epochs=0)
    else:
        stopping['bad_epochs'] += 1


@torch.no_grad()
def predict(model: GSRModel, lr_adj, batch_size: int = 64,
            device=None, progress: bool = False) -> Tensor:
    r"""Predicts HR connectomes in evaluation mode, without gradients.

    Args:
        model (GSRModel): a trained model.
        lr_adj: ``[S, N_l, N_l]`` (or ``[N_l, N_l]``) LR tensor, or any
            dataset :func:`fit` accepts (its HR part is ignored; stored
            LR spectra are used).
        batch_size (int): subjects per forward pass.
        device (optional): where to run (default: the model's device).
        progress (bool): report the spectra and the batches
            (:mod:`torch_gsr.utils.progress`).

    Returns:
        Tensor: ``[S, N_h, N_h]`` predictions, on the CPU.
    """
    check_int(batch_size, 'batch_size')
    device = torch.device(device) if device is not None \
        else next(model.parameters()).device
    model.to(device)
    data = ConnectomeTensors.from_data(lr_adj)
    data = prepare(model, replace(data, hr_adj=None, hr_eigvecs=None), device,
                   progress)
    was_training = model.training
    model.eval()
    try:
        preds = [model(data.lr_adj[index], rows(data.lr_eigvecs, index),
                       validate=False).hr_adj.cpu()
                 for index in track(index_batches(data.num_subjects, batch_size),
                                    'prediction', enabled=progress)]
    finally:
        model.train(was_training)
    return torch.cat(preds)


def evaluate(model: GSRModel, dataset, protocol: str = 'subject',
             topology: bool = False, batch_size: int = 64, device=None,
             num_workers: int = 0, progress: bool = False,
             reference=None) -> Evaluation:
    r"""Evaluates ``model``'s predictions on ``dataset`` against its HR
    connectomes with :func:`~torch_gsr.metrics.evaluate_predictions`
    (``protocol``, ``topology``, ``num_workers`` and ``reference`` are
    passed on; ``progress`` reports the prediction and the centralities).

    Args:
        model (GSRModel): a trained model.
        dataset: paired data (anything :func:`fit` accepts).
        protocol (str): ``'subject'`` or ``'challenge'``.
        topology (bool): also the centrality errors.
        batch_size (int): subjects per forward pass.
        device (optional): where to predict (default: the model's device).
        num_workers (int): processes for the centralities.
        progress (bool): report the prediction and the centralities.
        reference (optional): ``[N_h, N_h]`` reference for ``residual_pcc``,
            or the **training** data set (anything :func:`fit` accepts),
            whose mean HR connectome is then the reference.
    """
    data = ConnectomeTensors.from_data(dataset)
    hr_adj = data.require_hr('evaluate')
    pred = predict(model, data, batch_size=batch_size, device=device,
                   progress=progress)
    return evaluate_predictions(pred, hr_adj.cpu(), protocol=protocol,
                                topology=topology, num_workers=num_workers,
                                progress=progress,
                                reference=mean_hr_reference(reference))


def mean_hr_reference(reference) -> Optional[Tensor]:
    r"""``reference`` as an ``[N_h, N_h]`` tensor: itself when it is one
    connectome, else the mean HR connectome of the data set it is."""
    if reference is None or (isinstance(reference, Tensor)
                             and reference.dim() == 2):
        return reference
    data = ConnectomeTensors.from_data(reference)
    return data.require_hr('the residual PCC reference').double().mean(0).cpu()
