r"""Training checkpoints: atomic writes, safe reads, exact resume."""
import torch

from .. import distributed as dist
from ..nn.models import build_model
from ..utils.io import load_torch_file
from .history import History

CHECKPOINT_VERSION = 1


def rng_state(shuffle: torch.Generator) -> dict:
    """The global torch (and CUDA) RNG states and the shuffling generator's."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return dict(torch=torch.get_rng_state(), shuffle=shuffle.get_state(),
                cuda=cuda)


def set_rng_state(state: dict, shuffle: torch.Generator) -> None:
    """Restores what :func:`rng_state` saved."""
    torch.set_rng_state(state['torch'])
    shuffle.set_state(state['shuffle'])
    if state['cuda'] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def write_checkpoint(path: str, checkpoint: dict) -> None:
    """Writes ``checkpoint`` to ``path`` atomically (rank 0 only under DDP)."""
    # A crash while writing leaves the previous checkpoint intact: the new
    # one is written next to it and renamed over it only once complete.
    # Every rank holds the same state, so rank 0 alone writes it.
    dist.write_on_main(path, lambda tmp: torch.save(checkpoint, tmp))


CHECKPOINT_KEYS = ('version', 'model_config', 'model_state', 'optimizer_state',
                   'epoch', 'rng', 'history', 'fit_options', 'early_stopping')


def read_checkpoint(path: str, map_location) -> dict:
    r"""The checkpoint dictionary at ``path``, read safely
    (:func:`~torch_gsr.utils.io.load_torch_file`) and checked for the
    layout :func:`~torch_gsr.train.fit` writes."""
    checkpoint = load_torch_file(path, 'torch_gsr checkpoint', map_location)
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path}: not a torch_gsr checkpoint (holds a "
                         f"{type(checkpoint).__name__}, not a dict)")
    if checkpoint.get('version') != CHECKPOINT_VERSION:
        raise ValueError(f"{path}: not a torch_gsr checkpoint of version "
                         f"{CHECKPOINT_VERSION} (version: "
                         f"{checkpoint.get('version')!r})")
    missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        raise ValueError(f"{path}: torch_gsr checkpoint without {missing}")
    return checkpoint


def _load_weights(path: str, model, state: dict) -> None:
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as error:
        detail = '; '.join(line.strip() for line in str(error).splitlines()[1:])
        raise ValueError(f"{path}: its weights do not fit the model of its "
                         f"config ({detail[:300]})") from error


def load_checkpoint(path: str, map_location='cpu'):
    r"""Rebuilds the model saved by :func:`fit` at ``path``: the model
    ``fit`` returned (``final_state``) once the run has ended, the last
    completed epoch's (``model_state``) while it has not.

    Returns:
        (GSRModel, dict): the model (built with
        :func:`~torch_gsr.nn.models.build_model`, weights loaded) and the
        checkpoint dictionary (layout: see :func:`fit`).
    """
    checkpoint = read_checkpoint(path, map_location)
    try:
        model = build_model(checkpoint['model_config'])
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{path}: its model_config does not build a model "
                         f"({error})") from error
    _load_weights(path, model, checkpoint.get('final_state',
                                              checkpoint['model_state']))
    return model, checkpoint


def resume_state(path: str, model, optimizer, shuffle: torch.Generator):
    """Loads ``path`` into the model, optimiser and shuffling generator."""
    state = read_checkpoint(path, next(model.parameters()).device)
    if state['model_config'] != model.get_config():
        raise ValueError(f"{path}: was written for model "
                         f"{state['model_config']}, not {model.get_config()}")
    _load_weights(path, model, state['model_state'])
    optimizer.load_state_dict(state['optimizer_state'])
    set_rng_state(state['rng'], shuffle)
    return (state['epoch'], History.from_dict(state['history']),
            state['early_stopping'])
