r"""What :func:`~torch_gsr.train.fit` trains with: the model's preset with
explicit options applied, the validation split and the number of epochs an
update budget needs."""
import math
import warnings
from dataclasses import replace
from typing import Mapping, Optional, Union, cast

from ..config.fit import FitConfig
from ..nn.base import SuperResolutionModel
from ..utils.groups import nearest_distance_ratio, split_fraction
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


def split_validation(data: ConnectomeTensors, val_dataset, config: FitConfig,
                     explicit: bool, seed: int):
    r"""``(train, val or None)``: ``val_dataset`` as given, or
    ``config.val_fraction`` of ``data`` held out by
    :func:`~torch_gsr.utils.groups.split_fraction` (``config.split``,
    ``config.gap``, ``seed``): whole groups, or every group's last block.
    A preset's fraction (``explicit`` false) is skipped when
    ``val_dataset`` is given or when it would leave no sample for
    validation or for training; an explicit one is not."""
    if val_dataset is not None and explicit and config.val_fraction:
        raise ValueError("pass either val_dataset or val_fraction, not both")
    if val_dataset is not None:
        return data, val_dataset
    if config.val_fraction == 0:
        return data, None
    train, held = split_fraction(data.group_index, config.val_fraction, config.split,
                                 config.gap, seed)
    if held.numel() and train.numel():
        return data.subset(train), data.subset(held)
    if not explicit:
        return data, None
    raise ValueError(f"val_fraction={config.val_fraction} of {data.num_subjects} "
                     f"subjects in {len(set(cast(list, data.groups)))} groups "
                     f"(split={config.split!r}, gap={config.gap}) leaves "
                     f"{held.numel()} for validation and {train.numel()} for "
                     f"training (expected at least 1 each)")


#: :func:`~torch_gsr.utils.groups.nearest_distance_ratio` below which
#: validation samples count as near-copies of training samples.
NEAR_COPY_RATIO = 0.4


def warn_if_near_copies(train: ConnectomeTensors, val: ConnectomeTensors) -> None:
    r"""Warns once when the validation samples are near-copies of training
    samples (overlapping windows on both sides): their early stopping,
    weights and interval calibration would be optimistic."""
    ratio = nearest_distance_ratio(train.lr_adj, val.lr_adj)
    if ratio < NEAR_COPY_RATIO:
        warnings.warn(
            f"the validation samples are near-copies of training samples: their "
            f"median distance to the nearest training sample is {ratio:.2f}x the "
            f"median distance between two training samples (expected near 1 for "
            f"independent samples). Validation losses, ensemble weights and "
            f"interval coverage will be optimistic. Pass groups= (the subject or "
            f"run of each sample), or split='blocks' with gap= for ordered "
            f"windows of one run, or a val_dataset kept apart.",
            UserWarning, stacklevel=3)
