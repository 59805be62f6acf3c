r"""What :func:`~torch_gsr.train.fit` trains with: the model's preset with
explicit options applied, the validation split and the number of epochs an
update budget needs."""
import math
import warnings
from dataclasses import replace
from typing import Mapping, Optional, Union

import torch

from ..config.fit import FitConfig
from ..nn.base import SuperResolutionModel
from .tensors import ConnectomeTensors


def fit_config(model: SuperResolutionModel, preset: str = 'recommended',
               **explicit) -> FitConfig:
    r"""``type(model).fit_presets[preset]`` with the explicit (not
    :obj:`None`) options of ``explicit`` replaced; checked by
    :class:`~torch_gsr.config.FitConfig`."""
    presets = type(model).fit_presets
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r}; expected one of "
                         f"{sorted(presets)}")
    return replace(presets[preset],
                   **{k: v for k, v in explicit.items() if v is not None})


def planned_epochs(config: Union[FitConfig, Mapping], num_train: int) -> int:
    r"""The epochs :func:`fit` runs, early stopping aside: ``config.epochs``,
    or as many as the update budget ``config.updates`` needs
    (:func:`updates_per_epoch`) on ``num_train`` training subjects (``config``: a
    :class:`~torch_gsr.config.FitConfig` or a mapping of its fields)."""
    if isinstance(config, Mapping):
        config = FitConfig(**{name: config[name] for name in
                              FitConfig.__dataclass_fields__ if name in config})
    if config.epochs is not None:
        return config.epochs
    assert config.updates is not None  # FitConfig sets one of them
    return max(1, math.ceil(config.updates / updates_per_epoch(config, num_train)))


def updates_per_epoch(config: FitConfig, num_train: int) -> int:
    r"""Optimiser steps per epoch: one per ``config.accumulate`` batches of
    ``config.batch_size`` subjects (the last takes the batches left)."""
    return math.ceil(math.ceil(num_train / config.batch_size) / config.accumulate)


def renamed_learning_rate(learning_rate: Optional[float],
                          lr: Optional[float]) -> Optional[float]:
    r"""``learning_rate``, or the deprecated ``lr`` with a ``FutureWarning``."""
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
    :obj:`None`) is skipped when ``val_dataset`` is given or when it would
    leave no subject for validation or for training; an explicit one is
    not."""
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
