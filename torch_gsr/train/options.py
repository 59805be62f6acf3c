r"""What :func:`~torch_gsr.train.fit` trains with: the model's preset with
explicit options applied and the number of epochs an update budget needs."""
import math
from dataclasses import replace
from typing import Mapping, Union

from ..config.fit import FitConfig
from ..nn.base import SuperResolutionModel


def fit_config(model: SuperResolutionModel,
               config: Union[FitConfig, str, None] = None, **explicit) -> FitConfig:
    r"""The :class:`~torch_gsr.config.FitConfig` of a run: ``config``
    itself, or ``type(model).fit_presets[config]`` for a preset name
    (:obj:`None`: ``'recommended'``; ``preset=`` names one too), with the
    explicit (not :obj:`None`) options of ``explicit``, its fields,
    replaced. An unknown option is a ``TypeError`` naming the valid ones."""
    preset = explicit.pop('preset', None)
    if preset is not None and config is not None:
        raise ValueError("pass either config or preset, not both")
    config = preset if config is None else config
    config = 'recommended' if config is None else config
    if isinstance(config, str):
        presets = type(model).fit_presets
        if config not in presets:
            raise ValueError(f"unknown preset {config!r}; expected one of "
                             f"{sorted(presets)}")
        config = presets[config]
    if not isinstance(config, FitConfig):
        raise TypeError(f"config must be a FitConfig or a preset name, got {config!r}")
    unknown = sorted(set(explicit) - set(FitConfig.__dataclass_fields__))
    if unknown:
        raise TypeError(f"unknown fit option(s) {unknown}; the options are the "
                        f"fields of FitConfig: {sorted(FitConfig.__dataclass_fields__)}")
    return replace(config, **{k: v for k, v in explicit.items() if v is not None})


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
