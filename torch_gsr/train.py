r"""Training, prediction, evaluation and cross-validation of GSR models.

Everything runs on dense ``[B, N, N]`` batches. A dataset (a PyG dataset of
:class:`~torch_gsr.datasets.ConnectomePair`, or a ``(lr_adj, hr_adj)`` tuple
of tensors) is gathered **once** into :class:`ConnectomeTensors` on the
training device, eigenvectors included (taken from the data when an
:class:`~torch_gsr.transforms.AddSpectra` transform stored them, computed in
one batched ``eigh`` otherwise), and every epoch walks a seeded permutation
of it. No eigendecomposition and no per-subject Python loop runs inside a
training step.

* :func:`fit` trains with Adam; defaults come from a named preset
  (:mod:`torch_gsr.presets`), checkpoints are written atomically and
  ``resume=`` continues a run to bit-identical parameters on CPU.
* :func:`predict` and :func:`evaluate` run a trained model.
* :func:`cross_validate` runs k-fold cross-validation with a fresh model per
  fold and the :mod:`~torch_gsr.baselines` on the same folds.

Both take ``distributed=True`` to train in several processes launched by
``torchrun`` (:mod:`torch_gsr.distributed`).
"""
import math
import os.path as osp
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional, Union

import torch
from torch import Tensor
from torch_geometric.loader import DataLoader
from tqdm.auto import tqdm

from . import distributed as dist
from .baselines import MeanHR, RidgeRegression
from .metrics import Evaluation, evaluate_predictions
from .nn.models import GSRModel, build_model
from .presets import DEFAULT_PRESET, get_preset
from .utils.spectra import spectra
from .utils.validation import check_adjacency

LOSS_TERMS = ('total', 'hr', 'eig', 'rec')
CHECKPOINT_VERSION = 1
BASELINES = {'MeanHR': MeanHR, 'RidgeRegression': RidgeRegression}


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


# --------------------------------------------------------------------- data --

@dataclass
class ConnectomeTensors:
    r"""A whole dataset as dense tensors, indexable by subject batches.

    Attributes:
        lr_adj (Tensor): ``[S, N_l, N_l]`` LR connectomes.
        hr_adj (Tensor, optional): ``[S, N_h, N_h]`` HR connectomes.
        subjects (list of str): ``S`` subject ids.
        lr_eigvecs (Tensor, optional): ``[S, N_l, N_l]`` LR spectra.
        hr_eigvecs (Tensor, optional): ``[S, P, P]`` padded HR spectra.
    """
    lr_adj: Tensor
    hr_adj: Optional[Tensor]
    subjects: List[str]
    lr_eigvecs: Optional[Tensor] = None
    hr_eigvecs: Optional[Tensor] = None

    def __post_init__(self):
        num = self.lr_adj.size(0)
        if self.hr_adj is not None and self.hr_adj.size(0) != num:
            raise ValueError(f"lr_adj holds {num} subjects but hr_adj holds "
                             f"{self.hr_adj.size(0)} (expected one HR "
                             f"connectome per LR connectome)")
        if len(self.subjects) != num:
            raise ValueError(f"{len(self.subjects)} subject ids for {num} "
                             f"subjects")

    @classmethod
    def from_data(cls, data) -> 'ConnectomeTensors':
        r"""Gathers ``data``: a :class:`ConnectomeTensors`, a PyG dataset of
        :class:`~torch_gsr.datasets.ConnectomePair` (collated once, its
        transforms applied), an LR tensor ``[S, N_l, N_l]``, or a tuple
        ``(lr_adj, hr_adj)`` of tensors/arrays (subject ids ``'0'``, ...)."""
        if isinstance(data, cls):
            return data
        if isinstance(data, (tuple, list)):
            if len(data) != 2:
                raise ValueError(f"a tuple dataset must be (lr_adj, hr_adj), "
                                 f"got {len(data)} items")
            return cls._from_arrays(*data)
        if isinstance(data, Tensor):
            return cls._from_arrays(data, None)
        if len(data) == 0:
            raise ValueError("the dataset holds no subjects")
        batch = next(iter(DataLoader(data, batch_size=len(data))))
        subjects = batch.get('subject')
        subjects = ([str(s) for s in subjects] if subjects is not None
                    else [str(i) for i in range(len(data))])
        return cls(batch.lr_adj, batch.get('hr_adj'), subjects,
                   batch.get('lr_eigvecs'), batch.get('hr_eigvecs'))

    @classmethod
    def _from_arrays(cls, lr_adj, hr_adj) -> 'ConnectomeTensors':
        lr_adj = torch.as_tensor(lr_adj)
        lr_adj = lr_adj.unsqueeze(0) if lr_adj.dim() == 2 else lr_adj
        hr_adj = None if hr_adj is None else torch.as_tensor(hr_adj)
        return cls(lr_adj, hr_adj, [str(i) for i in range(lr_adj.size(0))])

    @property
    def num_subjects(self) -> int:
        return self.lr_adj.size(0)

    def _tensors(self) -> Dict[str, Optional[Tensor]]:
        return dict(lr_adj=self.lr_adj, hr_adj=self.hr_adj,
                    lr_eigvecs=self.lr_eigvecs, hr_eigvecs=self.hr_eigvecs)

    def _map(self, fn: Callable[[Tensor], Tensor], subjects: List[str]):
        tensors = {key: None if value is None else fn(value)
                   for key, value in self._tensors().items()}
        return ConnectomeTensors(subjects=subjects, **tensors)

    def subset(self, index: Tensor) -> 'ConnectomeTensors':
        r"""The subjects at ``index`` (``[B]`` long tensor), in that order."""
        index = torch.as_tensor(index, dtype=torch.long)
        return self._map(lambda t: t[index.to(t.device)],
                         [self.subjects[i] for i in index.tolist()])

    def to(self, device=None, dtype=None) -> 'ConnectomeTensors':
        return self._map(lambda t: t.to(device=device, dtype=dtype),
                         self.subjects)

    def with_spectra(self, lr: bool = True) -> 'ConnectomeTensors':
        r"""This data with ``hr_eigvecs`` (when ``hr_adj`` is known) and,
        with ``lr``, ``lr_eigvecs`` filled in: missing ones are computed here
        for all subjects in batched ``eigh`` calls; present ones are kept."""
        lr_vecs, hr_vecs = spectra(
            self.lr_adj, self.hr_adj if self.hr_eigvecs is None else None,
            lr=lr and self.lr_eigvecs is None)
        return replace(self, lr_eigvecs=self.lr_eigvecs if lr_vecs is None else lr_vecs,
                       hr_eigvecs=self.hr_eigvecs if hr_vecs is None else hr_vecs)

    def check(self) -> 'ConnectomeTensors':
        r"""Raises a ``ValueError`` naming the subject id of the first LR or
        HR connectome that is not finite or not symmetric; returns ``self``."""
        check_adjacency(self.lr_adj, 'lr_adj', subjects=self.subjects)
        if self.hr_adj is not None:
            check_adjacency(self.hr_adj, 'hr_adj', subjects=self.subjects)
        return self

    def require_hr(self, what: str) -> None:
        if self.hr_adj is None:
            raise ValueError(f"{what} needs HR connectomes, but the dataset "
                             f"holds LR connectomes only")


def _prepare(model: GSRModel, data, device) -> ConnectomeTensors:
    r"""Gathers ``data``, checks it (sizes against ``model``'s, finite,
    symmetric) and moves it to ``device`` in the model's dtype, with the
    spectra ``model`` uses (no LR spectra for a model that is not
    ``spectral``)."""
    data = ConnectomeTensors.from_data(data).check()
    if data.lr_adj.size(-1) != model.lr_nodes:
        raise ValueError(f"the model expects {model.lr_nodes} LR nodes but the "
                         f"data has {data.lr_adj.size(-1)}")
    if data.hr_adj is not None and data.hr_adj.size(-1) != model.hr_nodes:
        raise ValueError(f"the model expects {model.hr_nodes} HR nodes but the "
                         f"data has {data.hr_adj.size(-1)}")
    if not model.spectral:
        data = replace(data, lr_eigvecs=None)
    dtype = next(model.parameters()).dtype
    return data.to(device, dtype).with_spectra(lr=model.spectral)


def _batches(num_subjects: int, batch_size: int,
             generator: Optional[torch.Generator] = None) -> List[Tensor]:
    r"""Index batches: a permutation drawn from ``generator``, or in order."""
    order = (torch.randperm(num_subjects, generator=generator)
             if generator is not None else torch.arange(num_subjects))
    return list(order.split(batch_size))


# ------------------------------------------------------------------ history --

@dataclass
class History:
    r"""Per-epoch record of a :func:`fit` run.

    Attributes:
        records (list of dict): one dict per completed epoch with keys
            ``epoch`` (1-based), the training loss terms ``total``, ``hr``,
            ``eig``, ``rec`` (means over subjects), ``time`` (seconds), and
            with validation ``val_total``, ``val_hr``, ``val_eig``,
            ``val_rec``.
        best_epoch (int, optional): epoch of the lowest validation HR loss.
        stopped_early (bool): whether early stopping ended the run.
    """
    records: List[Dict[str, float]] = field(default_factory=list)
    best_epoch: Optional[int] = None
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> List[float]:
        r"""One column, e.g. ``history['hr']``: a value per epoch."""
        return [record[key] for record in self.records]

    def to_dict(self) -> dict:
        return dict(records=[dict(r) for r in self.records],
                    best_epoch=self.best_epoch, stopped_early=self.stopped_early)

    @classmethod
    def from_dict(cls, state: dict) -> 'History':
        return cls(records=[dict(r) for r in state['records']],
                   best_epoch=state['best_epoch'],
                   stopped_early=state['stopped_early'])


def _format_record(record: Dict[str, float]) -> str:
    terms = ' '.join(f'{key}={record[key]:.5g}' for key in record
                     if key not in ('epoch', 'time'))
    return f"epoch {record['epoch']}: {terms} ({record['time']:.2f}s)"


# ------------------------------------------------------------- checkpoints --

def _rng_state(shuffle: torch.Generator) -> dict:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return dict(torch=torch.get_rng_state(), shuffle=shuffle.get_state(),
                cuda=cuda)


def _set_rng_state(state: dict, shuffle: torch.Generator) -> None:
    torch.set_rng_state(state['torch'])
    shuffle.set_state(state['shuffle'])
    if state['cuda'] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _write_checkpoint(path: str, checkpoint: dict) -> None:
    # A crash while writing leaves the previous checkpoint intact: the new
    # one is written next to it and renamed over it only once complete.
    # Every rank holds the same state, so rank 0 alone writes it.
    dist.write_on_main(path, lambda tmp: torch.save(checkpoint, tmp))


def _read_checkpoint(path: str, map_location) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f"{path}: no such checkpoint")
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(checkpoint, dict) or \
            checkpoint.get('version') != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: not a torch_gsr checkpoint of version "
                         f"{CHECKPOINT_VERSION}")
    return checkpoint


def load_checkpoint(path: str, map_location='cpu'):
    r"""Rebuilds the model saved by :func:`fit` at ``path``.

    Returns:
        (GSRModel, dict): the model (built with
        :func:`~torch_gsr.nn.models.build_model`, weights loaded) and the
        checkpoint dictionary (layout: see :func:`fit`).
    """
    checkpoint = _read_checkpoint(path, map_location)
    model = build_model(checkpoint['model_config'])
    model.load_state_dict(checkpoint['model_state'])
    return model, checkpoint


# --------------------------------------------------------------------- fit --

def _resolve_fit_options(preset: str, **explicit) -> dict:
    options = get_preset(preset)['fit']
    options.update({k: v for k, v in explicit.items() if v is not None})
    for name in ('epochs', 'batch_size'):
        value = options[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if not options['lr'] > 0:
        raise ValueError(f"lr must be > 0, got {options['lr']!r}")
    if not options['weight_decay'] >= 0:
        raise ValueError(f"weight_decay must be >= 0, got "
                         f"{options['weight_decay']!r}")
    return options


def _split_validation(data: ConnectomeTensors, val_dataset, val_fraction: float,
                      seed: int):
    r"""``(train, val or None)``: ``val_dataset`` as given, or a seeded
    ``val_fraction`` of ``data``."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    if val_dataset is not None and val_fraction > 0:
        raise ValueError("pass either val_dataset or val_fraction, not both")
    if val_dataset is not None:
        return data, val_dataset
    if val_fraction == 0:
        return data, None
    num_val = round(val_fraction * data.num_subjects)
    if not 1 <= num_val < data.num_subjects:
        raise ValueError(f"val_fraction={val_fraction} of {data.num_subjects} "
                         f"subjects leaves {num_val} for validation (expected "
                         f"at least 1 and at least 1 for training)")
    order = torch.randperm(data.num_subjects,
                           generator=torch.Generator().manual_seed(seed))
    return data.subset(order[num_val:]), data.subset(order[:num_val])


class _LossModule(torch.nn.Module):
    r"""A model's forward pass and loss as one module. The eigen loss reads
    ``gsr.weight`` outside :meth:`GSRModel.forward`; running the loss inside
    this module's forward is what makes DDP all-reduce that gradient too."""
    def __init__(self, model: GSRModel):
        super().__init__()
        self.model = model

    def forward(self, lr_adj: Tensor, lr_eigvecs: Tensor, hr_adj: Tensor,
                hr_eigvecs: Tensor):
        # _prepare checked the values once for the whole dataset.
        out = self.model(lr_adj, lr_eigvecs, validate=False)
        return self.model.loss(out, hr_adj, hr_eigvecs, validate=False)


def _batch_loss(step: _LossModule, data: ConnectomeTensors, index: Tensor):
    return step(data.lr_adj[index], _rows(data.lr_eigvecs, index),
                data.hr_adj[index], data.hr_eigvecs[index])


def _rows(tensor: Optional[Tensor], index: Tensor) -> Optional[Tensor]:
    return None if tensor is None else tensor[index]


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
    bad = [name for name, value in zip(LOSS_TERMS, sums)
           if not bool(torch.isfinite(value))]
    indices = index.tolist()
    subjects = [data.subjects[i] for i in indices]
    raise NonFiniteLossError(
        f"non-finite loss ({', '.join(bad)}) in epoch {epoch} on the batch of "
        f"subjects {subjects} (training-set indices {indices}); the last good "
        f"checkpoint, if any, was kept", epoch, indices, subjects)


def _train_epoch(step, optimizer, data: ConnectomeTensors, batch_size: int,
                 shuffle: torch.Generator, epoch: int,
                 clip_grad_norm: Optional[float]) -> Dict[str, float]:
    step.train()
    sums = torch.zeros(len(LOSS_TERMS), dtype=torch.float64)
    for index in _batches(data.num_subjects, batch_size, shuffle):
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
    return dict(zip(LOSS_TERMS, (sums / data.num_subjects).tolist()))


@torch.no_grad()
def _validation_loss(step, data: ConnectomeTensors,
                     batch_size: int) -> Dict[str, float]:
    step.eval()
    sums = torch.zeros(len(LOSS_TERMS), dtype=torch.float64)
    for index in _batches(data.num_subjects, batch_size):
        sums += _sharded_loss(step, data, index, 'validation')[2]
    return {f'val_{name}': value for name, value
            in zip(LOSS_TERMS, (sums / data.num_subjects).tolist())}


def _cpu_state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def fit(model: GSRModel, dataset, epochs: Optional[int] = None,
        lr: Optional[float] = None, batch_size: Optional[int] = None,
        device=None, seed: int = 0, preset: str = DEFAULT_PRESET,
        weight_decay: Optional[float] = None, val_dataset=None,
        val_fraction: float = 0., patience: Optional[int] = None,
        clip_grad_norm: Optional[float] = None,
        checkpoint: Optional[str] = None, resume: Optional[str] = None,
        progress: bool = True,
        log: Optional[Callable[[str], None]] = None,
        distributed: bool = False) -> History:
    r"""Trains ``model`` in place with Adam on the GSR-Net loss.

    Args:
        model (GSRModel): the model to train.
        dataset: training data: a PyG dataset of
            :class:`~torch_gsr.datasets.ConnectomePair`, a tuple
            ``(lr_adj [S, N_l, N_l], hr_adj [S, N_h, N_h])`` or
            :class:`ConnectomeTensors`.
        epochs, lr, batch_size, weight_decay: override the preset's values
            (``None``: the preset's). ``epochs`` is the total count, also
            when resuming.
        device (torch.device or str, optional): where to train (default:
            the model's device). The model is moved there.
        seed (int): seeds the shuffling, the validation split and the global
            torch RNG (dropout); the same seed gives the same numbers on CPU.
        preset (str): named defaults, ``"recommended"`` or ``"paper"``
            (:mod:`torch_gsr.presets`).
        val_dataset: validation data, same forms as ``dataset``.
        val_fraction (float): or hold out this fraction of ``dataset``
            (seeded) for validation.
        patience (int, optional): early stopping: stop after ``patience``
            epochs without a lower validation HR loss, then restore the
            weights of the best epoch. Needs validation data.
        clip_grad_norm (float, optional): clip the gradients' total 2-norm.
        checkpoint (str, optional): file written (atomically) after every
            epoch. Layout: ``version``, ``model_config``
            (:meth:`GSRModel.get_config`), ``model_state``,
            ``optimizer_state``, ``epoch`` (epochs completed), ``rng``
            (``torch``, ``shuffle``, ``cuda`` states), ``history``
            (:meth:`History.to_dict`), ``fit_options``, ``early_stopping``
            (``best_loss``, ``best_epoch``, ``best_state``, ``bad_epochs``).
        resume (str, optional): checkpoint to continue from; a run resumed
            with the same arguments ends with the same parameters as an
            uninterrupted one (bit-identical on CPU).
        progress (bool): show a tqdm progress bar over epochs.
        log (callable, optional): called with a one-line summary of every
            epoch's loss terms (default: written under the progress bar when
            ``progress`` is on).
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

    Returns:
        History: the loss terms of every epoch (those before ``resume``
        included).

    Raises:
        ValueError: bad arguments or data that does not fit the model.
        NonFiniteLossError: a NaN/inf loss (names the epoch and subjects);
            ``checkpoint`` still holds the last completed epoch.
    """
    options = _resolve_fit_options(preset, epochs=epochs, lr=lr,
                                   batch_size=batch_size,
                                   weight_decay=weight_decay)
    if patience is not None and (isinstance(patience, bool)
                                 or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"patience must be an int >= 1, got {patience!r}")
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
    train, val = _split_validation(data, val_dataset, val_fraction, seed)
    if patience is not None and val is None:
        raise ValueError("patience (early stopping) needs validation data: "
                         "pass val_dataset or val_fraction > 0")
    train = _prepare(model, train, device)
    if val is not None:
        val = _prepare(model, val, device)
        val.require_hr('validation')

    # The fused kernel (CPU and CUDA) updates all parameters in one pass.
    optimizer = torch.optim.Adam(model.parameters(), lr=options['lr'],
                                 weight_decay=options['weight_decay'],
                                 fused=True)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    history = History()
    stopping = dict(best_loss=math.inf, best_epoch=None, best_state=None,
                    bad_epochs=0)
    start = 0
    if resume is not None:
        start, history, stopping = _resume(resume, model, optimizer, shuffle)

    step = _LossModule(model)
    if distributed:
        # Built after ``resume``: DDP broadcasts rank 0's parameters.
        step = torch.nn.parallel.DistributedDataParallel(
            step, device_ids=[device] if device.type == 'cuda' else None)
    emit = log if log is not None else (tqdm.write if progress else None)
    if not dist.is_main_process():
        emit = None
    fit_options = dict(options, seed=seed, preset=preset, patience=patience,
                       clip_grad_norm=clip_grad_norm)
    bar = tqdm(range(start, options['epochs']), desc='epochs',
               disable=not progress, leave=False)
    for epoch in bar:
        began = time.perf_counter()
        record = dict(epoch=epoch + 1)
        record.update(_train_epoch(step, optimizer, train,
                                   options['batch_size'], shuffle, epoch + 1,
                                   clip_grad_norm))
        if val is not None:
            record.update(_validation_loss(_LossModule(model), val,
                                           options['batch_size']))
        record['time'] = time.perf_counter() - began
        history.records.append(record)
        if emit is not None:
            emit(_format_record(record))
        bar.set_postfix(loss=f"{record['total']:.4g}")
        if val is not None:
            _track_best(stopping, model, record)
            history.best_epoch = stopping['best_epoch']
        done = patience is not None and stopping['bad_epochs'] >= patience
        history.stopped_early = done
        if checkpoint is not None:
            _write_checkpoint(checkpoint, dict(
                version=CHECKPOINT_VERSION, model_config=model.get_config(),
                model_state=model.state_dict(),
                optimizer_state=optimizer.state_dict(), epoch=epoch + 1,
                rng=_rng_state(shuffle), history=history.to_dict(),
                fit_options=fit_options, early_stopping=stopping))
        if done:
            break
    bar.close()
    if patience is not None and stopping['best_state'] is not None:
        model.load_state_dict(stopping['best_state'])
    model.eval()
    return history


def _track_best(stopping: dict, model, record: Dict[str, float]) -> None:
    if record['val_hr'] < stopping['best_loss']:
        stopping.update(best_loss=record['val_hr'], best_epoch=record['epoch'],
                        best_state=_cpu_state(model), bad_epochs=0)
    else:
        stopping['bad_epochs'] += 1


def _resume(path: str, model, optimizer, shuffle: torch.Generator):
    state = _read_checkpoint(path, next(model.parameters()).device)
    if state['model_config'] != model.get_config():
        raise ValueError(f"{path}: was written for model "
                         f"{state['model_config']}, not {model.get_config()}")
    model.load_state_dict(state['model_state'])
    optimizer.load_state_dict(state['optimizer_state'])
    _set_rng_state(state['rng'], shuffle)
    return (state['epoch'], History.from_dict(state['history']),
            state['early_stopping'])


# ---------------------------------------------------- predict and evaluate --

@torch.no_grad()
def predict(model: GSRModel, lr_adj, batch_size: int = 64,
            device=None) -> Tensor:
    r"""Predicts HR connectomes in evaluation mode, without gradients.

    Args:
        model (GSRModel): a trained model.
        lr_adj: ``[S, N_l, N_l]`` (or ``[N_l, N_l]``) LR tensor, or any
            dataset :func:`fit` accepts (its HR part is ignored; stored
            LR spectra are used).
        batch_size (int): subjects per forward pass.
        device (optional): where to run (default: the model's device).

    Returns:
        Tensor: ``[S, N_h, N_h]`` predictions, on the CPU.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    device = torch.device(device) if device is not None \
        else next(model.parameters()).device
    model.to(device)
    data = ConnectomeTensors.from_data(lr_adj)
    data = _prepare(model, replace(data, hr_adj=None, hr_eigvecs=None), device)
    was_training = model.training
    model.eval()
    try:
        preds = [model(data.lr_adj[index], _rows(data.lr_eigvecs, index),
                       validate=False).hr_adj.cpu()
                 for index in _batches(data.num_subjects, batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(preds)


def evaluate(model: GSRModel, dataset, protocol: str = 'subject',
             topology: bool = False, batch_size: int = 64, device=None,
             num_workers: int = 0, progress: bool = False) -> Evaluation:
    r"""Evaluates ``model``'s predictions on ``dataset`` against its HR
    connectomes with :func:`~torch_gsr.metrics.evaluate_predictions`
    (``protocol``, ``topology``, ``num_workers``, ``progress`` are passed
    on)."""
    data = ConnectomeTensors.from_data(dataset)
    data.require_hr('evaluate')
    pred = predict(model, data, batch_size=batch_size, device=device)
    return evaluate_predictions(pred, data.hr_adj.cpu(), protocol=protocol,
                                topology=topology, num_workers=num_workers,
                                progress=progress)


# --------------------------------------------------------- cross-validation --

def kfold_indices(num_subjects: int, folds: int, seed: int = 0) -> List[Tensor]:
    r"""Test indices of each fold: a seeded permutation of ``num_subjects``
    cut into ``folds`` near-equal, disjoint parts that cover every subject
    once."""
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an int >= 2, got {folds!r}")
    if folds > num_subjects:
        raise ValueError(f"folds={folds} is more than the {num_subjects} "
                         f"subjects (each fold needs at least one test subject)")
    order = torch.randperm(num_subjects,
                           generator=torch.Generator().manual_seed(seed))
    return [part.sort().values for part in order.tensor_split(folds)]


@dataclass
class CVResult:
    r"""Results of :func:`cross_validate`. Per method name (model names and
    ``"MeanHR"``, ``"RidgeRegression"``), lists with one entry per fold.

    Attributes:
        subjects (list of str): subject ids of the whole dataset.
        test_indices (list of Tensor): each fold's test subjects (indices).
        evaluations (dict): name -> list of :class:`Evaluation`.
        predictions (dict): name -> list of ``[S_k, N_h, N_h]`` test
            predictions (CPU), in ``test_indices`` order.
        histories (dict): model name -> list of :class:`History`.
        models (dict): model name -> list of trained models (CPU).
    """
    subjects: List[str]
    test_indices: List[Tensor]
    evaluations: Dict[str, List[Evaluation]] = field(default_factory=dict)
    predictions: Dict[str, List[Tensor]] = field(default_factory=dict)
    histories: Dict[str, List[History]] = field(default_factory=dict)
    models: Dict[str, List[GSRModel]] = field(default_factory=dict)

    @property
    def methods(self) -> List[str]:
        return list(self.evaluations)

    def fold_summary(self, method: str) -> Dict[str, Tensor]:
        r"""metric -> ``[folds]`` the metric's (subject-mean) value per fold."""
        evaluations = self.evaluations[method]
        return {metric: torch.tensor([e.summary[metric][0] for e in evaluations],
                                     dtype=torch.float64)
                for metric in evaluations[0].summary}

    def beats_baseline(self, method: str,
                       baseline: str = 'MeanHR') -> Dict[str, bool]:
        r"""Whether ``method`` has a lower mean MAE (``"mae"``) and a higher
        mean PCC (``"pcc"``) over folds than ``baseline``."""
        ours, theirs = self.fold_summary(method), self.fold_summary(baseline)
        return dict(mae=bool(ours['mae'].mean() < theirs['mae'].mean()),
                    pcc=bool(ours['pcc'].mean() > theirs['pcc'].mean()))

    def table(self) -> List[Dict[str, object]]:
        r"""One row per method: ``method``, ``<metric>_mean`` and
        ``<metric>_std`` over folds (population std) for every metric, and
        ``beats_mean_hr`` (``"yes"`` when it beats :class:`MeanHR` on both
        MAE and PCC, ``"no"`` otherwise; ``""`` for MeanHR itself or when
        MeanHR was not run)."""
        rows = []
        for method in self.methods:
            row = dict(method=method)
            for metric, values in self.fold_summary(method).items():
                row[f'{metric}_mean'] = float(values.mean())
                row[f'{metric}_std'] = float(values.std(correction=0))
            row['beats_mean_hr'] = ''
            if 'MeanHR' in self.evaluations and method != 'MeanHR':
                beats = self.beats_baseline(method)
                row['beats_mean_hr'] = 'yes' if all(beats.values()) else 'no'
            rows.append(row)
        return rows

    def to_csv(self, path: str) -> None:
        r"""Writes :meth:`table` as CSV (atomically)."""
        rows = self.table()
        lines = [','.join(rows[0])]
        lines += [','.join(_cell(v, '.6g') for v in row.values()) for row in rows]
        _write_text(path, '\n'.join(lines) + '\n')

    def to_markdown(self, path: str) -> None:
        r"""Writes :meth:`table` as a Markdown table, ``mean ± std`` per
        metric (atomically)."""
        rows = self.table()
        metrics = [k[:-5] for k in rows[0] if k.endswith('_mean')]
        header = ['method'] + metrics + ['beats mean HR']
        lines = ['| ' + ' | '.join(header) + ' |',
                 '|' + '---|' * len(header)]
        for row in rows:
            cells = [row['method']]
            cells += [f"{_cell(row[m + '_mean'], '.4f')} ± "
                      f"{_cell(row[m + '_std'], '.4f')}" for m in metrics]
            cells.append(row['beats_mean_hr'] or '-')
            lines.append('| ' + ' | '.join(cells) + ' |')
        _write_text(path, '\n'.join(lines) + '\n')


def _cell(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, float) else str(value)


def _write_text(path: str, text: str) -> None:
    dist.write_on_main(path, lambda tmp: _write_file(tmp, text))


def _write_file(path: str, text: str) -> None:
    with open(path, 'w') as f:
        f.write(text)


def _named_factories(model_factory) -> Dict[Optional[str], Callable]:
    if callable(model_factory):
        return {None: model_factory}  # named after the model's class
    if isinstance(model_factory, dict) and model_factory and \
            all(callable(f) for f in model_factory.values()):
        return dict(model_factory)
    raise ValueError("model_factory must be a callable returning a model, or "
                     "a non-empty dict {name: callable}")


def cross_validate(model_factory: Union[Callable[[], GSRModel],
                                        Dict[str, Callable[[], GSRModel]]],
                   dataset, folds: int = 5, seed: int = 0,
                   baselines: bool = True, protocol: str = 'subject',
                   topology: bool = False, progress: bool = True,
                   checkpoint_dir: Optional[str] = None,
                   distributed: bool = False, **fit_kwargs) -> CVResult:
    r"""K-fold cross-validation with a fresh model per fold.

    Subjects are split by :func:`kfold_indices`; in fold ``k`` a new model
    from ``model_factory()`` (called after seeding torch with the fold's
    seed, so initialisations are reproducible) is trained with :func:`fit`
    on the other folds and evaluated on fold ``k``. Spectra are computed
    once for the whole dataset.

    Args:
        model_factory: a callable returning an untrained
            :class:`GSRModel` (the method is named after its class), or a
            dict ``{name: callable}`` to compare several models on identical
            folds.
        dataset: any data :func:`fit` accepts, with HR connectomes.
        folds (int): number of folds (``2 <= folds <= S``).
        seed (int): seeds the split, the models' initialisation and training.
        baselines (bool): also fit and evaluate
            :class:`~torch_gsr.baselines.MeanHR` and
            :class:`~torch_gsr.baselines.RidgeRegression` on the same folds.
        protocol, topology: passed to :func:`evaluate`.
        progress (bool): progress bars over folds (and epochs).
        checkpoint_dir (str, optional): write each fold's training
            checkpoint to ``<dir>/<name>-fold<k>.pt``.
        distributed (bool): train every fold in all processes started by
            ``torchrun`` (see :func:`fit`); every rank returns the same
            result, rank 0 alone writes checkpoints, shows progress and
            writes :meth:`CVResult.to_csv` / :meth:`CVResult.to_markdown`.
        **fit_kwargs: passed to :func:`fit` (``epochs``, ``lr``, ``preset``,
            ``val_fraction``, ``patience``, ...).

    Returns:
        CVResult
    """
    for reserved in ('checkpoint', 'resume', 'seed', 'progress'):
        if reserved in fit_kwargs:
            raise ValueError(f"cross_validate sets fit's {reserved!r} itself "
                             f"(use checkpoint_dir / seed / progress)")
    factories = _named_factories(model_factory)
    if distributed:
        dist.init_process_group(fit_kwargs.get('device'))
        progress = progress and dist.is_main_process()
    get_preset(fit_kwargs.get('preset', DEFAULT_PRESET))  # fail before work
    data = ConnectomeTensors.from_data(dataset)
    data.require_hr('cross_validate')
    # Spectra once for every model and fold (the LR ones are cheap and
    # ignored by models that are not spectral); each fit casts to its model.
    data = data.check().with_spectra()
    test_folds = kfold_indices(data.num_subjects, folds, seed)
    fold_seeds = torch.randint(2 ** 62, (folds,),
                               generator=torch.Generator().manual_seed(seed))
    result = CVResult(subjects=list(data.subjects), test_indices=test_folds)

    for k in tqdm(range(folds), desc='folds', disable=not progress):
        is_test = torch.zeros(data.num_subjects, dtype=torch.bool)
        is_test[test_folds[k]] = True
        train = data.subset(is_test.logical_not().nonzero().view(-1))
        test = data.subset(test_folds[k])
        for name, factory in factories.items():
            fold_seed = int(fold_seeds[k])
            torch.manual_seed(fold_seed)
            model = factory()
            name = name or type(model).__name__
            path = (osp.join(checkpoint_dir, f'{name}-fold{k}.pt')
                    if checkpoint_dir is not None else None)
            history = fit(model, train, seed=fold_seed, progress=progress,
                          checkpoint=path, distributed=distributed,
                          **fit_kwargs)
            pred = predict(model, test)
            _record(result, name, pred, test, protocol, topology)
            result.histories.setdefault(name, []).append(history)
            result.models.setdefault(name, []).append(model.cpu())
        if baselines:
            for name, cls in BASELINES.items():
                baseline = cls().fit(train.lr_adj, train.hr_adj)
                pred = baseline.predict(test.lr_adj).cpu()
                _record(result, name, pred, test, protocol, topology)
    return result


def _record(result: CVResult, name: str, pred: Tensor,
            test: ConnectomeTensors, protocol: str, topology: bool) -> None:
    evaluation = evaluate_predictions(pred, test.hr_adj.cpu(), protocol=protocol,
                                      topology=topology)
    result.evaluations.setdefault(name, []).append(evaluation)
    result.predictions.setdefault(name, []).append(pred)
