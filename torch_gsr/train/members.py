r"""How :func:`~torch_gsr.train.fit` trains a model made of members that
train alone (:meth:`~torch_gsr.nn.SuperResolutionModel.members_trained_alone`):
each member by ``fit`` itself on the model's split, then the model's own
hooks. Member ``k``'s checkpoint is ``<checkpoint>.member<k>``."""
import inspect
import os.path as osp
from typing import Callable, Optional

import torch

from ..nn.base import SuperResolutionModel
from .callbacks import EarlyStopping, after_fit_figures, refit_model
from .checkpoint import model_state, training_checkpoint, write_checkpoint
from .history import History
from .tensors import ConnectomeTensors


def member_path(path: Optional[str], k: int) -> Optional[str]:
    r"""Member ``k``'s checkpoint beside the model's ``path``."""
    return None if path is None else f'{path}.member{k}'


def fit_members(model: SuperResolutionModel, train: ConnectomeTensors,
                val: Optional[ConnectomeTensors], fit_member: Callable[..., History],
                device: torch.device, everything: Optional[ConnectomeTensors] = None,
                checkpoint: Optional[str] = None,
                resume: Optional[str] = None,
                fit_options: Optional[dict] = None) -> History:
    r"""Trains every member of ``model`` with ``fit_member(member, train,
    val_dataset=val, checkpoint=..., resume=...)`` (``fit`` with the
    caller's options), a member resuming from its own checkpoint beside
    ``resume`` when there is one; then :meth:`initialize` on ``train`` and
    :meth:`after_fit` on ``val``; writes the model's checkpoint last."""
    history = History(planned_epochs=0, val_subjects=0 if val is None else val.num_subjects)
    for k, member in enumerate(model.members_trained_alone()):
        again = member_path(resume, k)
        history.members.append(fit_member(
            member, train, val_dataset=val, checkpoint=member_path(checkpoint, k),
            resume=again if again is not None and osp.isfile(again) else None))
    model.to(device)
    dtype = next(model.parameters()).dtype
    train = train.check().to(device, dtype)
    initialize_model(model, train)
    if val is not None:
        val = val.check().to(device, dtype)
        history.after_fit.update(after_fit_figures(model, val))
    if everything is not None:
        refit_model(model, everything)
    model.eval()
    if checkpoint is not None:
        # Complete from the start: nothing of the model's own to resume.
        state = model_state(model, copy=True)
        write_checkpoint(checkpoint, training_checkpoint(
            model, torch.optim.Adam(model.parameters()), torch.Generator(), history,
            dict(fit_options or {}), EarlyStopping(None).state_dict(0), state, state))
    return history


def initialize_model(model: SuperResolutionModel, train: ConnectomeTensors) -> None:
    r""":meth:`~torch_gsr.nn.SuperResolutionModel.initialize` on the
    training samples, with their groups where some group holds several
    samples and ``initialize`` takes ``groups`` (a model written before 0.4
    takes two arguments)."""
    groups = train.shared_groups
    if groups is None or 'groups' not in inspect.signature(model.initialize).parameters:
        model.initialize(train.lr_adj, train.require_hr('fit'))
    else:
        model.initialize(train.lr_adj, train.require_hr('fit'), groups)
