r"""Inference with a trained model: :func:`predict` and :func:`evaluate` on
dense ``[B, N, N]`` batches."""
from dataclasses import replace
from typing import List, Optional, Tuple, Union, overload

import torch
from torch import Tensor

from ..metrics import Evaluation, evaluate_predictions
from ..nn.base import SuperResolutionModel
from ..utils.progress import track
from ..utils.validation import check_int
from .tensors import ConnectomeTensors, index_batches, prepare, rows


@overload
def predict(model: SuperResolutionModel, lr_adj, batch_size: int = ...,
            device=..., progress: bool = ..., intervals: None = ...) -> Tensor: ...


@overload
def predict(model: SuperResolutionModel, lr_adj, batch_size: int = ...,
            device=..., progress: bool = ..., *,
            intervals: float) -> Tuple[Tensor, Tensor, Tensor]: ...


@torch.no_grad()
def predict(model: SuperResolutionModel, lr_adj, batch_size: int = 64,
            device=None, progress: bool = False,
            intervals: Optional[float] = None
            ) -> Union[Tensor, Tuple[Tensor, Tensor, Tensor]]:
    r"""Predicts HR connectomes in evaluation mode, without gradients.

    Args:
        model (SuperResolutionModel): a trained model.
        lr_adj: ``[S, N_l, N_l]`` (or ``[N_l, N_l]``) LR tensor, or any
            dataset :func:`~torch_gsr.train.fit` accepts (its HR part is
            ignored; stored LR spectra are used).
        batch_size (int): subjects per forward pass. (default: :obj:`64`)
        device (optional): where to run. (default: the model's device)
        progress (bool): report the spectra and the batches.
            (default: :obj:`False`)
        intervals (float, optional): also per-edge prediction intervals of
            this coverage, for models that give them
            (:class:`~torch_gsr.nn.EnsembleGSR`). (default: :obj:`None`)

    Returns:
        Tensor: ``[S, N_h, N_h]`` predictions, on the CPU; with
        ``intervals``, ``(predictions, lower, upper)``.
    """
    check_int(batch_size, 'batch_size')
    if intervals is not None and not model.gives_intervals:
        model.interval_bounds(None, intervals)  # the model's own error
    device = torch.device(device) if device is not None \
        else next(model.parameters()).device
    model.to(device)
    data = ConnectomeTensors.from_data(lr_adj)
    data = prepare(model, replace(data, hr_adj=None, hr_eigvecs=None), device,
                   progress)
    was_training = model.training
    model.eval()
    parts: List[Tuple[Tensor, ...]] = []
    try:
        for index in track(index_batches(data.num_subjects, batch_size),
                           'prediction', enabled=progress):
            out = model(data.lr_adj[index], rows(data.lr_eigvecs, index),
                        validate=False)
            extra = () if intervals is None else model.interval_bounds(out, intervals)
            parts.append(tuple(t.cpu() for t in (out.hr_adj, *extra)))
    finally:
        model.train(was_training)
    if intervals is None:
        return torch.cat([part[0] for part in parts])
    pred, lower, upper = (torch.cat(column) for column in zip(*parts, strict=True))
    return pred, lower, upper


def evaluate(model: SuperResolutionModel, dataset, protocol: str = 'subject',
             topology=False, batch_size: int = 64, device=None,
             num_workers: int = 0, progress: bool = False,
             reference=None, seed: int = 0) -> Evaluation:
    r"""Evaluates ``model``'s predictions on ``dataset`` against its HR
    connectomes with :func:`~torch_gsr.metrics.evaluate_predictions`.

    Args:
        model (SuperResolutionModel): a trained model.
        dataset: paired data (anything :func:`~torch_gsr.train.fit` accepts).
        protocol (str): ``'subject'`` or ``'challenge'``.
            (default: :obj:`'subject'`)
        topology (bool, str or sequence): also the centrality errors
            (``True``) or the named topological measures' errors
            (:func:`~torch_gsr.metrics.evaluate_predictions`).
            (default: :obj:`False`)
        batch_size (int): subjects per forward pass. (default: :obj:`64`)
        device (optional): where to predict. (default: the model's device)
        num_workers (int): processes for the centralities.
            (default: :obj:`0`)
        progress (bool): report the prediction and the centralities.
            (default: :obj:`False`)
        reference (optional): ``[N_h, N_h]`` reference of ``residual_pcc``,
            or the training data set, whose mean HR connectome is then the
            reference. (default: :obj:`None`)
        seed (int): seeds the named measures' Louvain partitions and
            small-world references. (default: :obj:`0`)
    """
    data = ConnectomeTensors.from_data(dataset)
    hr_adj = data.require_hr('evaluate')
    pred = predict(model, data, batch_size=batch_size, device=device,
                   progress=progress)
    return evaluate_predictions(pred, hr_adj.cpu(), protocol=protocol,
                                topology=topology, num_workers=num_workers,
                                progress=progress,
                                reference=mean_hr_reference(reference),
                                seed=seed)


def mean_hr_reference(reference) -> Optional[Tensor]:
    r"""``reference`` as an ``[N_h, N_h]`` tensor: itself when it is one
    connectome, else the mean HR connectome of the data set it is."""
    if reference is None or (isinstance(reference, Tensor)
                             and reference.dim() == 2):
        return reference
    data = ConnectomeTensors.from_data(reference)
    return data.require_hr('the residual PCC reference').double().mean(0).cpu()
