r"""Training checkpoints: the dictionary :func:`~torch_gsr.train.fit`
writes, atomic writes, safe reads, the migration of older versions and
exact resume."""
from typing import Dict, Iterable, Optional

import torch
from torch import Tensor

from .. import distributed as dist
from ..nn.base import SuperResolutionModel
from ..nn.registry import build_model
from ..utils.io import load_torch_file, one_line

#: The layout :func:`training_checkpoint` writes (see docs/training.md).
CHECKPOINT_VERSION = 2

CHECKPOINT_KEYS = ('version', 'model_config', 'model_state', 'optimizer_state',
                   'epoch', 'rng', 'history', 'fit_options', 'early_stopping')

# Model options added after 0.1.0, with the values that rebuild a model
# saved before them, by model name (the options of checkpoint version 1).
_GSR_OPTIONS_V1 = dict(lr_top_k=None, root_weight=False, mean_residual=False)
_OPTIONS_ADDED_IN_V1: Dict[str, dict] = dict(
    GSRNet=_GSR_OPTIONS_V1, GSRLayerOnly=_GSR_OPTIONS_V1, DeepGSR=_GSR_OPTIONS_V1,
    GSRAutoencoder=_GSR_OPTIONS_V1, AGSRNet=_GSR_OPTIONS_V1,
    NodeMapGSR=dict(ridge_blend=False))
# Options added within version 2, filled the same way in any version:
# ``generator`` (issue 19; before it the GSR family had only the package's)
# and NodeMapGSR's ``softmax_map`` and EnsembleGSR's ``local_ridge`` and
# ``interval_confidence`` (issue 20; before them the map was plain, the ensemble
# had no local ridge member and calibrated by the pooled quantile) and
# ``parcels`` and ``refit_maps`` (issue 28; before it the closed-form
# members kept their fit on the training part).
_GENERATOR = dict(generator='gsr_net')
_OPTIONS_ADDED_IN_V2: Dict[str, dict] = dict(
    GSRNet=_GENERATOR, GSRLayerOnly=_GENERATOR, DeepGSR=_GENERATOR,
    GSRAutoencoder=_GENERATOR, AGSRNet=_GENERATOR,
    NodeMapGSR=dict(softmax_map=False),
    EnsembleGSR=dict(local_ridge=False, interval_confidence=0.5, parcels=None,
                     refit_maps=False))


def migrate_checkpoint(checkpoint: dict) -> dict:
    r"""``checkpoint`` upgraded to :data:`CHECKPOINT_VERSION` (a new dict).

    Version 1 (torch_gsr 0.1 and 0.2) differs in two ways: a model config
    may lack options added after 0.1.0 (filled with the values that rebuild
    such a model), and its states hold every key (version 2 may leave out a
    model's :meth:`~torch_gsr.nn.SuperResolutionModel.derived_state_keys`
    and an early-stopping ``best_state`` equal to ``model_state``), which
    version 2 reads as it is. Options added within version 2
    (``generator``, ``softmax_map``, ``local_ridge``,
    ``interval_confidence``, ``parcels``, ``refit_maps``) are filled in any
    version, with the value that rebuilds the model saved before them."""
    checkpoint = dict(checkpoint)
    if checkpoint.get('version') == 1:
        config = dict(checkpoint['model_config'])
        for name, value in _OPTIONS_ADDED_IN_V1.get(str(config.get('name')), {}).items():
            config.setdefault(name, value)
        checkpoint.update(version=2, model_config=config)
    if isinstance(checkpoint.get('model_config'), dict):
        config = dict(checkpoint['model_config'])
        for name, value in _OPTIONS_ADDED_IN_V2.get(str(config.get('name')), {}).items():
            config.setdefault(name, value)
        checkpoint['model_config'] = config
    return checkpoint


def rng_state(shuffle: torch.Generator) -> dict:
    r"""The global torch (and CUDA) RNG states and the shuffling generator's."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return dict(torch=torch.get_rng_state(), shuffle=shuffle.get_state(),
                cuda=cuda)


def set_rng_state(state: dict, shuffle: torch.Generator) -> None:
    r"""Restores what :func:`rng_state` saved."""
    torch.set_rng_state(state['torch'])
    shuffle.set_state(state['shuffle'])
    if state['cuda'] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def model_state(model: SuperResolutionModel, derived: bool = True,
                copy: bool = False) -> Dict[str, Tensor]:
    r"""``model``'s state dict, without its derived keys unless ``derived``;
    with ``copy``, detached CPU copies (a snapshot training will not change)."""
    leave_out = set() if derived else set(model.derived_state_keys())
    return {key: value.detach().cpu().clone() if copy else value
            for key, value in model.state_dict().items() if key not in leave_out}


def training_checkpoint(model: SuperResolutionModel,
                        optimizer: torch.optim.Optimizer,
                        shuffle: torch.Generator, history, fit_options: dict,
                        early_stopping: dict, state: Dict[str, Tensor],
                        final_state: Optional[Dict[str, Tensor]] = None) -> dict:
    r"""The checkpoint dictionary of a run (version :data:`CHECKPOINT_VERSION`):
    ``state`` is the last epoch's model state (resumable), ``final_state``
    the returned model's (written once the run has ended)."""
    checkpoint = dict(version=CHECKPOINT_VERSION, model_config=model.get_config(),
                      model_state=state, optimizer_state=optimizer.state_dict(),
                      epoch=len(history), rng=rng_state(shuffle),
                      history=history.to_dict(), fit_options=fit_options,
                      early_stopping=early_stopping)
    if final_state is not None:
        checkpoint['final_state'] = final_state
    return checkpoint


def write_checkpoint(path: str, checkpoint: dict) -> None:
    r"""Writes ``checkpoint`` to ``path`` atomically (rank 0 only under DDP;
    every rank holds the same state)."""
    dist.write_on_main(path, lambda tmp: torch.save(checkpoint, tmp))


def read_checkpoint(path: str, map_location) -> dict:
    r"""The checkpoint at ``path``, read safely
    (:func:`~torch_gsr.utils.io.load_torch_file`), checked and migrated to
    :data:`CHECKPOINT_VERSION` (:func:`migrate_checkpoint`)."""
    checkpoint = load_torch_file(path, 'torch_gsr checkpoint', map_location)
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path}: not a torch_gsr checkpoint (holds a "
                         f"{type(checkpoint).__name__}, not a dict)")
    if checkpoint.get('version') not in range(1, CHECKPOINT_VERSION + 1):
        raise ValueError(f"{path}: not a torch_gsr checkpoint of version 1 to "
                         f"{CHECKPOINT_VERSION} (version: "
                         f"{checkpoint.get('version')!r})")
    missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
    if missing:
        raise ValueError(f"{path}: torch_gsr checkpoint without {missing}")
    return migrate_checkpoint(checkpoint)


def load_state(path: str, model: SuperResolutionModel, state: dict,
               may_lack: Iterable[str] = ()) -> None:
    r"""Loads ``state`` into ``model``; only keys in ``may_lack`` may be
    missing. A misfit is a one-line ``ValueError`` naming ``path``."""
    try:
        result = model.load_state_dict(state, strict=False)
        missing = sorted(set(result.missing_keys) - set(may_lack))
        if missing or result.unexpected_keys:
            raise RuntimeError(f"missing keys {missing}, unexpected keys "
                               f"{sorted(result.unexpected_keys)}")
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"{path}: its weights do not fit the model of its "
                         f"config ({one_line(error)[:300]})") from error


def load_checkpoint(path: str, map_location='cpu'):
    r"""Rebuilds the model saved by :func:`~torch_gsr.train.fit` at ``path``:
    the model ``fit`` returned (``final_state``) once the run has ended.

    Args:
        path (str): the checkpoint file.
        map_location (optional): passed to :func:`torch.load`.
            (default: :obj:`'cpu'`)

    Returns:
        (SuperResolutionModel, dict): the model (built with
        :func:`~torch_gsr.nn.build_model`, weights loaded) and the
        checkpoint dictionary (migrated to the current version).
    """
    checkpoint = read_checkpoint(path, map_location)
    try:
        model = build_model(checkpoint['model_config'])
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{path}: its model_config does not build a model "
                         f"({error})") from error
    if 'final_state' in checkpoint:
        load_state(path, model, checkpoint['final_state'])
    else:  # a run in progress: its derived state is not in the file
        raise_unless_complete(path, model, checkpoint['model_state'])
        load_state(path, model, checkpoint['model_state'])
    return model, checkpoint


def raise_unless_complete(path: str, model: SuperResolutionModel,
                          state: dict) -> None:
    r"""A ``ValueError`` when ``state`` lacks some of ``model``'s derived
    keys (a checkpoint of a run in progress, to be resumed, not loaded)."""
    lacking = [key for key in model.derived_state_keys() if key not in state]
    if lacking:
        raise ValueError(f"{path}: a checkpoint of a run in progress without "
                         f"the state its model derives from the training "
                         f"data ({lacking[0]}, ...); resume it with "
                         f"fit(resume=...) to finish the run")


def resumable_state(path: str, checkpoint: dict,
                    model: SuperResolutionModel) -> Dict[str, Tensor]:
    r"""The model state a resume of ``checkpoint`` continues from, checked
    against ``model``'s config: the last epoch's, with derived keys taken
    from ``final_state`` when it has them (else :meth:`initialize` recomputes
    them; :func:`derived_keys_lacking`)."""
    if checkpoint['model_config'] != model.get_config():
        raise ValueError(f"{path}: was written for model "
                         f"{checkpoint['model_config']}, not {model.get_config()}")
    state = dict(checkpoint['model_state'])
    final = checkpoint.get('final_state') or {}
    state.update({key: final[key] for key in model.derived_state_keys()
                  if key not in state and key in final})
    return state


def derived_keys_lacking(model: SuperResolutionModel, state: dict) -> bool:
    r"""Whether ``state`` lacks derived keys of ``model``, which
    :meth:`~torch_gsr.nn.SuperResolutionModel.initialize` must recompute."""
    return any(key not in state for key in model.derived_state_keys())
