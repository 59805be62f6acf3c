r"""Training, prediction, evaluation and cross-validation of GSR models.

Everything runs on dense ``[B, N, N]`` batches. A dataset (a PyG dataset of
:class:`~torch_gsr.datasets.ConnectomePair`, or a ``(lr_adj, hr_adj)`` tuple
of tensors) is gathered **once** into :class:`ConnectomeTensors` on the
training device, eigenvectors included (taken from the data when an
:class:`~torch_gsr.transforms.AddSpectra` transform stored them, computed in
one batched ``eigh`` otherwise), and every epoch walks a seeded permutation
of it. No eigendecomposition and no per-subject Python loop runs inside a
training step.

* :func:`fit` trains with Adam, its settings from the model's fit preset
  (:class:`~torch_gsr.config.FitConfig`) and the callbacks of
  :mod:`~torch_gsr.train.callbacks` around its epochs; checkpoints are
  written atomically and ``resume=`` continues a run to bit-identical
  parameters on CPU.
* :func:`predict` and :func:`evaluate` run a trained model.
* :func:`cross_validate` runs k-fold cross-validation with a fresh model per
  fold and the :mod:`~torch_gsr.baselines` on the same folds.

Both take ``distributed=True`` to train in several processes launched by
``torchrun`` (:mod:`torch_gsr.distributed`).

Modules: :mod:`~torch_gsr.train.tensors` (the data container),
:mod:`~torch_gsr.train.options` (the fit settings, the validation split),
:mod:`~torch_gsr.train.loop` (:func:`fit`), :mod:`~torch_gsr.train.epoch`
and :mod:`~torch_gsr.train.sharding` (the steps, DDP shards),
:mod:`~torch_gsr.train.callbacks`, :mod:`~torch_gsr.train.checkpoint`,
:mod:`~torch_gsr.train.history`, :mod:`~torch_gsr.train.inference`
(predict, evaluate), :mod:`~torch_gsr.train.cv` and
:mod:`~torch_gsr.train.cv_state` (cross-validation).
"""
from .callbacks import Callback, FitRun
from .checkpoint import CHECKPOINT_VERSION, load_checkpoint
from .cv import BASELINES, CVResult, cross_validate, kfold_indices
from .epoch import NonFiniteLossError
from .history import LOSS_TERMS, History, loss_terms
from .inference import evaluate, predict
from .loop import fit
from .tensors import ConnectomeTensors

__all__ = [
    'ConnectomeTensors', 'History', 'Callback', 'FitRun', 'LOSS_TERMS', 'loss_terms',
    'CHECKPOINT_VERSION',
    'load_checkpoint', 'NonFiniteLossError', 'fit', 'predict', 'evaluate',
    'kfold_indices', 'CVResult', 'cross_validate', 'BASELINES',
]
