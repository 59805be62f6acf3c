r"""The folder that makes a :func:`~torch_gsr.train.cross_validate` run
resumable.

Layout of ``checkpoint_dir``:

* ``run.json``: the run's fingerprint (methods and model configs, folds,
  seed, protocol, the :func:`~torch_gsr.train.fit` arguments and a SHA-256
  digest of the data). A run is only continued with the fingerprint it
  started with; any difference is an error that names what differs.
* ``<method>-fold<k>.pt``: the checkpoint of a model training in fold
  ``k`` (rewritten every few minutes and at the end of the fold's training;
  continued with ``fit(resume=)``).
* ``<method>-fold<k>.result.pt``: a finished fold: test predictions, their
  evaluation, the training history and the model's config (baselines:
  predictions and evaluation only); the trained weights stay in the fold's
  checkpoint (``final_state``), not copied. Finished folds are read back,
  not rerun.

Every file is written atomically and read with ``weights_only=True``.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Callable, Optional, Set, Tuple

import torch

from .. import distributed as dist
from ..metrics import Evaluation
from ..nn.registry import build_model
from ..utils.io import load_torch_file, write_text
from .checkpoint import read_checkpoint
from .history import History
from .tensors import ConnectomeTensors

RUN_FILE = 'run.json'
RESULT_SUFFIX = '.result.pt'


def data_digest(data: ConnectomeTensors) -> str:
    r"""SHA-256 of the subject ids and the LR/HR connectomes' bytes."""
    digest = hashlib.sha256('\n'.join(data.subjects).encode())
    for tensor in (data.lr_adj, data.hr_adj):
        if tensor is None:
            continue
        tensor = tensor.detach().cpu().contiguous()
        digest.update(str((tensor.dtype, tuple(tensor.shape))).encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def open_run(folder: str, fingerprint: dict) -> Set[Tuple[str, int]]:
    r"""Starts the run of ``fingerprint`` in ``folder``, or checks that the
    run recorded there is the same one. A recorded run that saved nothing
    yet (e.g. it failed on a bad argument) is replaced: nothing is lost.

    Returns:
        set: the finished ``(method, fold)`` pairs, to read back with
        :func:`load_result`. Under ``torchrun`` every rank gets the same
        set: it is listed before a collective that no rank passes before
        all have listed, and nothing is written before it.

    Raises:
        ValueError: ``folder`` holds work of a run with other settings or
            data.
    """
    # Compare what JSON can hold: tuples read back as lists.
    fingerprint = json.loads(json.dumps(fingerprint))
    path = osp.join(folder, RUN_FILE)
    names = os.listdir(folder) if osp.isdir(folder) else []
    finished = {_method_fold(name[:-len(RESULT_SUFFIX)]) for name in names
                if name.endswith(RESULT_SUFFIX)}
    works = any(name.endswith('.pt') for name in names)
    found = dist.all_reduce_sum(torch.tensor([float(RUN_FILE in names),
                                              float(works)]))
    if not bool(found[1] > 0):
        text = json.dumps(fingerprint, indent=1, sort_keys=True)
        dist.run_on_main(lambda: write_text(path, text), f'writing {path}')
        return finished
    recorded = _read_json(path) if bool(found[0] > 0) else {}
    differ = sorted(key for key in set(recorded) | set(fingerprint)
                    if recorded.get(key) != fingerprint.get(key))
    if differ:
        raise ValueError(
            f"{folder}: holds an unfinished cross-validation with other "
            f"{', '.join(differ)}; run the same command as before to resume "
            f"it, or delete the folder (or choose another) to start afresh")
    return finished


def _method_fold(stem: str) -> Tuple[str, int]:
    method, fold = stem.rsplit('-fold', 1)
    return method, int(fold)


def _read_json(path: str) -> dict:
    try:
        with open(path) as f:
            content = json.load(f)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: not a readable run record "
                         f"({type(error).__name__}); delete the folder to "
                         f"start afresh") from error
    if not isinstance(content, dict):
        raise ValueError(f"{path}: not a run record (expected a JSON object)")
    return content


def checkpoint_path(folder: str, method: str, fold: int) -> str:
    r"""The checkpoint of ``method`` training in fold ``fold``."""
    return osp.join(folder, f'{method}-fold{fold}.pt')


def result_path(folder: str, method: str, fold: int) -> str:
    r"""The record of ``method``'s finished fold ``fold``."""
    return osp.join(folder, f'{method}-fold{fold}{RESULT_SUFFIX}')


def save_result(folder: str, method: str, fold: int, prediction: torch.Tensor,
                evaluation: Evaluation, history: Optional[History] = None,
                model=None) -> None:
    r"""Records a finished (method, fold); a model's weights are read back
    from the fold's checkpoint, which :func:`~torch_gsr.train.fit` wrote."""
    record = dict(prediction=prediction, evaluation=vars(evaluation),
                  history=None if history is None else history.to_dict(),
                  model_config=None if model is None else model.get_config(),
                  model_state=None)
    dist.write_on_main(result_path(folder, method, fold),
                       lambda tmp: torch.save(record, tmp))


def load_result(folder: str, method: str, fold: int,
                factory: Optional[Callable] = None) -> dict:
    r"""What :func:`save_result` recorded, rebuilt (``prediction``,
    ``evaluation``, ``history``, ``model``; the last two ``None`` for a
    baseline). The model is built by ``factory`` (so models outside the
    registry resume too), else from its recorded config, and gets the
    weights of the fold's checkpoint (a result of version 0.2 holds them)."""
    path = result_path(folder, method, fold)
    record = load_torch_file(path, 'cross-validation fold result')
    try:
        model = None
        if record['model_config'] is not None:
            model = factory() if factory is not None else \
                build_model(record['model_config'])
            state = record['model_state']
            if state is None:
                weights = checkpoint_path(folder, method, fold)
                state = read_checkpoint(weights, 'cpu')['final_state']
            model.load_state_dict(state)
            model.eval()
        history = record['history']
        return dict(prediction=record['prediction'],
                    evaluation=Evaluation(**record['evaluation']),
                    history=None if history is None else History.from_dict(history),
                    model=model)
    except (KeyError, TypeError, ValueError, RuntimeError, OSError) as error:
        raise ValueError(f"{path}: not a cross-validation fold result "
                         f"({type(error).__name__}: {error}); delete it to "
                         f"rerun that fold") from error
