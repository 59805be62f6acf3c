r"""What :func:`~torch_gsr.train.fit` trains with: the preset's options and
their overrides, the validation split, the number of epochs an update budget
needs and the learning-rate schedule."""
import math
import warnings
from typing import Optional

import torch

from ..presets import get_preset
from ..utils.validation import check_int
from .tensors import ConnectomeTensors

# Values of fit options a preset may leave out (a custom preset written for
# an older version): no validation, no early stopping, a constant rate.
_OPTIONAL_FIT_OPTIONS = dict(updates=None, val_fraction=0., patience=None,
                             schedule='constant', stop_after=0.)
SCHEDULES = ('constant', 'cosine')


def resolve_fit_options(preset: str, **explicit) -> dict:
    """The preset's fit options, explicit (non-``None``) ones applied; checked."""
    options = dict(_OPTIONAL_FIT_OPTIONS, **get_preset(preset)['fit'])
    options.update({k: v for k, v in explicit.items() if v is not None})
    check_int(options['batch_size'], 'batch_size')
    if options['epochs'] is None and options['updates'] is None:
        raise ValueError(f"preset {preset!r} sets neither epochs nor updates: "
                         f"pass epochs=")
    for name in ('epochs', 'updates', 'patience'):
        if options[name] is not None:
            check_int(options[name], name)
    if not options['learning_rate'] > 0:
        raise ValueError(f"learning_rate must be > 0, got "
                         f"{options['learning_rate']!r}")
    if not options['weight_decay'] >= 0:
        raise ValueError(f"weight_decay must be >= 0, got "
                         f"{options['weight_decay']!r}")
    if not 0 <= options['stop_after'] <= 1:
        raise ValueError(f"stop_after must be in [0, 1], got "
                         f"{options['stop_after']!r}")
    if options['schedule'] not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got "
                         f"{options['schedule']!r}")
    return options


def planned_epochs(options: dict, num_train: int) -> int:
    r"""Epochs :func:`fit` runs (early stopping aside): ``options['epochs']``,
    or with ``epochs=None`` as many as the update budget
    ``options['updates']`` needs at ``options['batch_size']`` on
    ``num_train`` training subjects."""
    if options['epochs'] is not None:
        return options['epochs']
    batches = math.ceil(num_train / options['batch_size'])
    return max(1, math.ceil(options['updates'] / batches))


def learning_rate_at(options: dict, total_steps: int, first_step: int,
                      k: int) -> float:
    r"""The learning rate of update ``first_step + k`` (0-based) of
    ``total_steps``: a pure function of the step, so a resumed run needs no
    scheduler state."""
    base = options['learning_rate']
    if options['schedule'] == 'constant':
        return base
    return base * 0.5 * (1 + math.cos(math.pi * (first_step + k) / total_steps))


def renamed_learning_rate(learning_rate: Optional[float],
                           lr: Optional[float]) -> Optional[float]:
    """``learning_rate``, or the deprecated ``lr`` with a ``FutureWarning``."""
    if lr is None:
        return learning_rate
    if learning_rate is not None:
        raise ValueError("pass learning_rate only (lr is its deprecated name)")
    warnings.warn("fit(lr=...) is deprecated and will be removed in 0.3; use "
                  "learning_rate=...", FutureWarning, stacklevel=3)
    return lr


def split_validation(data: ConnectomeTensors, val_dataset,
                      val_fraction: Optional[float], preset_fraction: float,
                      seed: int):
    r"""``(train, val or None)``: ``val_dataset`` as given, or a seeded
    ``val_fraction`` of ``data``. The preset's fraction (``val_fraction``
    ``None``) is skipped when ``val_dataset`` is given or when it would leave
    no subject for validation or for training; an explicit one is not."""
    if val_dataset is not None and val_fraction:
        raise ValueError("pass either val_dataset or val_fraction, not both")
    if val_dataset is not None:
        return data, val_dataset
    explicit = val_fraction is not None
    fraction = val_fraction if val_fraction is not None else preset_fraction
    if not 0 <= fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {fraction!r}")
    num_val = round(fraction * data.num_subjects)
    if fraction == 0 or (not explicit and not 1 <= num_val < data.num_subjects):
        return data, None
    if not 1 <= num_val < data.num_subjects:
        raise ValueError(f"val_fraction={fraction} of {data.num_subjects} "
                         f"subjects leaves {num_val} for validation (expected "
                         f"at least 1 and at least 1 for training)")
    order = torch.randperm(data.num_subjects,
                           generator=torch.Generator().manual_seed(seed))
    return data.subset(order[num_val:]), data.subset(order[:num_val])
