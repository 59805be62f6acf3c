r"""Training checkpoints: atomic writes, safe reads, exact resume."""
import os.path as osp

import torch

from .. import distributed as dist
from ..nn.models import build_model
from .history import History

CHECKPOINT_VERSION = 1


def rng_state(shuffle: torch.Generator) -> dict:
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return dict(torch=torch.get_rng_state(), shuffle=shuffle.get_state(),
                cuda=cuda)


def set_rng_state(state: dict, shuffle: torch.Generator) -> None:
    torch.set_rng_state(state['torch'])
    shuffle.set_state(state['shuffle'])
    if state['cuda'] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def write_checkpoint(path: str, checkpoint: dict) -> None:
    # A crash while writing leaves the previous checkpoint intact: the new
    # one is written next to it and renamed over it only once complete.
    # Every rank holds the same state, so rank 0 alone writes it.
    dist.write_on_main(path, lambda tmp: torch.save(checkpoint, tmp))


def read_checkpoint(path: str, map_location) -> dict:
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
    checkpoint = read_checkpoint(path, map_location)
    model = build_model(checkpoint['model_config'])
    model.load_state_dict(checkpoint['model_state'])
    return model, checkpoint


def resume_state(path: str, model, optimizer, shuffle: torch.Generator):
    state = read_checkpoint(path, next(model.parameters()).device)
    if state['model_config'] != model.get_config():
        raise ValueError(f"{path}: was written for model "
                         f"{state['model_config']}, not {model.get_config()}")
    model.load_state_dict(state['model_state'])
    optimizer.load_state_dict(state['optimizer_state'])
    set_rng_state(state['rng'], shuffle)
    return (state['epoch'], History.from_dict(state['history']),
            state['early_stopping'])
