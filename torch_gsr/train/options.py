r"""What :func:`~torch_gsr.train.fit` trains with: the model's preset with
explicit options applied and the number of epochs an update budget needs."""
import math
import warnings
from dataclasses import replace
from typing import Mapping, Optional, Union

from ..config.fit import FitConfig
from ..nn.base import SuperResolutionModel


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
