r"""How :func:`~torch_gsr.train.fit` holds out its validation samples, and
the check that they are not near-copies of training samples."""
import warnings
from dataclasses import replace
from typing import Optional, Tuple

import torch

from ..config.fit import FitConfig
from ..utils.groups import lag_of_independence, nearest_distance_ratio, split_fraction
from .tensors import ConnectomeTensors

#: :func:`~torch_gsr.utils.groups.nearest_distance_ratio` below which
#: validation samples count as near-copies of training samples.
NEAR_COPY_RATIO = 0.4


def split_validation(data: ConnectomeTensors, val_dataset, config: FitConfig,
                     explicit: bool, seed: int
                     ) -> Tuple[ConnectomeTensors, Optional[ConnectomeTensors]]:
    r"""``(train, val or None)``: ``val_dataset`` as given, or
    ``config.val_fraction`` of ``data`` held out by
    :func:`~torch_gsr.utils.groups.split_fraction` (``config.split``,
    ``config.gap``, ``seed``). ``'auto'`` holds out whole groups, but
    samples without groups whose validation part would be near-copies of
    the training part (overlapping windows) are taken in order: the last
    ones, with a gap of :func:`~torch_gsr.utils.groups.lag_of_independence`.
    A preset's fraction (``explicit`` false) is skipped when ``val_dataset``
    is given or when it would leave no sample for validation or for
    training; an explicit one is not. Near-copies left are warned about.
    Ungrouped samples held out in order return :func:`in_blocks`."""
    if val_dataset is not None and explicit and config.val_fraction:
        raise ValueError("pass either val_dataset or val_fraction, not both")
    if val_dataset is not None:
        given = ConnectomeTensors.from_data(val_dataset)
        warn_if_near_copies(data, given)
        return data, given
    if config.val_fraction == 0:
        return data, None
    split = 'groups' if config.split == 'auto' else config.split
    train, val = _held_out(data, replace(config, split=split), explicit, seed)
    if val is None:
        return train, val
    ratio = nearest_distance_ratio(train.lr_adj, val.lr_adj)
    ungrouped = data.num_groups == data.num_subjects
    if ratio < NEAR_COPY_RATIO and config.split == 'auto' and ungrouped:
        gap = config.gap or lag_of_independence(data.lr_adj)
        train, val = _held_out(data, replace(config, split='blocks', gap=gap), explicit, seed)
        warnings.warn(
            f"the validation samples drawn at random were near-copies of training "
            f"samples ({_measured(ratio)}): fit holds out the last "
            f"{0 if val is None else val.num_subjects} samples in order instead, "
            f"leaving out the {gap} before them (samples {gap + 1} apart are as far "
            f"apart as any two). Pass groups= (the subject or run of each sample) "
            f"or split=, gap= to choose.", UserWarning, stacklevel=3)
        return in_blocks(train), val
    warn_if_near_copies(train, val, ratio=ratio)
    return (in_blocks(train) if ungrouped and split == 'blocks' else train), val


def in_blocks(data: ConnectomeTensors, blocks: int = 5) -> ConnectomeTensors:
    r"""``data``, ungrouped samples of one run in order, as ``blocks``
    contiguous groups: a cross-validation inside ``initialize`` (ridge's
    penalty, 5 folds) then holds out whole blocks, not windows whose
    neighbours overlap them."""
    block = torch.arange(data.num_subjects) * blocks // max(data.num_subjects, 1)
    return replace(data, groups=[f'block-{k}' for k in block.tolist()])


def refit_samples(data: ConnectomeTensors, train: ConnectomeTensors
                  ) -> Optional[ConnectomeTensors]:
    r"""Every sample of ``data`` for :meth:`~torch_gsr.nn.SuperResolutionModel.refit`,
    grouped as :func:`split_validation` grouped its ``train`` part (in
    :func:`in_blocks` where it held ungrouped samples out in order), or
    :obj:`None` when it held none out of ``data``."""
    if train.num_subjects == data.num_subjects:
        return None
    blocks = (data.num_groups == data.num_subjects
              and train.num_groups < train.num_subjects)
    return in_blocks(data) if blocks else data


def _held_out(data: ConnectomeTensors, config: FitConfig, explicit: bool, seed: int
              ) -> Tuple[ConnectomeTensors, Optional[ConnectomeTensors]]:
    train, held = split_fraction(data.group_index, config.val_fraction, config.split,
                                 config.gap, seed)
    if held.numel() and train.numel():
        return data.subset(train), data.subset(held)
    if not explicit:
        return data, None
    raise ValueError(f"val_fraction={config.val_fraction} of {data.num_subjects} "
                     f"subjects in {data.num_groups} groups "
                     f"(split={config.split!r}, gap={config.gap}) leaves "
                     f"{held.numel()} for validation and {train.numel()} for "
                     f"training (expected at least 1 each)")


def _measured(ratio: float) -> str:
    return (f"their median distance to the nearest training sample is {ratio:.2f}x "
            f"the median distance between two training samples, expected near 1 "
            f"for independent samples")


def warn_if_near_copies(train: ConnectomeTensors, held: ConnectomeTensors,
                        what: str = 'validation', ratio: Optional[float] = None) -> None:
    r"""Warns when the held-out (``what``) samples are near-copies of
    training samples (:func:`~torch_gsr.utils.groups.nearest_distance_ratio`,
    or ``ratio``, below :data:`NEAR_COPY_RATIO`): their scores, and the
    early stopping, weights and intervals chosen on them, are optimistic."""
    if ratio is None:
        ratio = nearest_distance_ratio(train.lr_adj, held.lr_adj)
    if ratio < NEAR_COPY_RATIO:
        warnings.warn(
            f"the {what} samples are near-copies of training samples "
            f"({_measured(ratio)}). Scores, ensemble weights and interval coverage "
            f"on them will be optimistic. Pass groups= (the subject or run of each "
            f"sample), or split='blocks' with gap= for ordered windows of one run"
            f"{', or a val_dataset kept apart' if what == 'validation' else ''}.",
            UserWarning, stacklevel=4)
