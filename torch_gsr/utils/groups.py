r"""Groups of dependent samples and the splits that keep them together.

Samples of one group (the windows of one run, the sessions of one subject)
are never on both sides of a split; a group is the unit that is shuffled,
held out, or counted. ``gap`` leaves out of training the samples next to
the held-out ones in order (overlapping windows of one source)."""
import re
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from .vectorize import vectorize

#: Window ids are ``'<source>-w<k>'`` (:func:`source_of`).
WINDOW_ID = re.compile(r'^(.*)-w\d+$')


def source_of(sample_id: str) -> str:
    r"""The source of a window id ``'<source>-w<k>'``; any other id is its
    own source."""
    match = WINDOW_ID.match(str(sample_id))
    return match.group(1) if match else str(sample_id)


def group_index(groups: Union[Sequence, Tensor], num_samples: Optional[int] = None) -> Tensor:
    r"""``[S]`` the group number of every sample, numbered in order of first
    appearance; a ``ValueError`` when ``groups`` does not hold
    ``num_samples`` labels."""
    labels = [str(g) for g in (groups.tolist() if isinstance(groups, Tensor) else groups)]
    if num_samples is not None and len(labels) != num_samples:
        raise ValueError(f"groups holds {len(labels)} labels for {num_samples} samples "
                         f"(expected one group label per sample)")
    number = {label: k for k, label in enumerate(dict.fromkeys(labels))}
    return torch.tensor([number[label] for label in labels], dtype=torch.long)


def split_units(group: Tensor, split: str) -> Tensor:
    r"""The grouping ``split`` works on: ``group``, except that ``'blocks'``
    of data whose every sample is its own group take the samples in order
    as one source (plain arrays of one run's windows)."""
    if split == 'blocks' and int(group.max()) + 1 == group.numel():
        return torch.zeros_like(group)
    return group


def held_out_parts(group: Tensor, parts: int, split: str = 'groups',
                   seed: int = 0) -> List[Tensor]:
    r"""``parts`` disjoint held-out sample sets ``[S]`` (bool) covering every
    sample: with ``'groups'``, a seeded permutation of the groups cut into
    near-equal parts; with ``'blocks'``, every group's samples in order cut
    into ``parts`` contiguous blocks, part ``k`` holding each group's
    ``k``-th block (:func:`split_units`)."""
    group = split_units(group, split)
    if split == 'groups':
        order = torch.randperm(int(group.max()) + 1,
                               generator=torch.Generator().manual_seed(seed))
        return [torch.isin(group, chunk) for chunk in order.tensor_split(parts)]
    held = [torch.zeros_like(group, dtype=torch.bool) for _ in range(parts)]
    for g in range(int(group.max()) + 1):
        for k, block in enumerate(group.eq(g).nonzero().view(-1).tensor_split(parts)):
            held[k][block] = True
    return held


def fold_masks(num_samples: int, folds: int, groups: Optional[Tensor] = None,
               seed: int = 0) -> List[Tensor]:
    r"""The held-out masks ``[S]`` of a cross-validation inside a fit (a
    penalty's): :func:`held_out_parts` of ``groups`` (``[S]`` group numbers;
    :obj:`None`: each sample its own group) in ``folds`` parts, fewer with
    fewer groups."""
    group = torch.arange(num_samples) if groups is None else groups.cpu()
    num_groups = int(group.max()) + 1 if group.numel() else 0
    if num_groups < 2:
        raise ValueError(f"a cross-validation needs at least 2 groups of samples, "
                         f"got {num_groups}")
    return held_out_parts(group, min(folds, num_groups), seed=seed)


def kfold_parts(num_samples: int, parts: int,
                shuffle_seed: Optional[int] = None) -> List[Tensor]:
    r"""The held-out samples ``[S]`` (bool) of scikit-learn's
    ``KFold(parts)``, without scikit-learn: contiguous blocks of the samples
    in order (``shuffle=False``), or with ``shuffle_seed`` of the samples
    shuffled by ``numpy.random.RandomState(shuffle_seed)`` (``shuffle=True,
    random_state=shuffle_seed``); the first ``S % parts`` blocks hold one
    sample more."""
    order = np.arange(num_samples)
    if shuffle_seed is not None:
        np.random.RandomState(shuffle_seed).shuffle(order)
    held = []
    for block in torch.from_numpy(order).tensor_split(parts):
        part = torch.zeros(num_samples, dtype=torch.bool)
        part[block] = True
        held.append(part)
    return held


def training_part(group: Tensor, held: Tensor, gap: int = 0) -> Tensor:
    r"""``[S]`` (bool) the samples that train when ``held`` ``[S]`` (bool)
    is held out: the others, less those within ``gap`` places (in order)
    of a held-out sample of their own group."""
    near = held.clone()
    for shift in range(1, gap + 1):
        same_before = group[shift:] == group[:-shift]
        near[shift:] |= held[:-shift] & same_before
        near[:-shift] |= held[shift:] & same_before
    return near.logical_not()


def split_fraction(group: Tensor, fraction: float, split: str = 'groups',
                   gap: int = 0, seed: int = 0) -> Tuple[Tensor, Tensor]:
    r"""``(train, held)`` sample indices with about ``fraction`` held out:
    ``'groups'``, ``round(fraction * G)`` whole groups drawn with ``seed``
    (:math:`G` groups; both parts in the drawn order of groups, so that
    singleton groups split as a seeded permutation of the samples);
    ``'blocks'``, the last ``round(fraction * n_g)`` samples of every group
    of :math:`n_g`, in order (:func:`split_units`). Then
    :func:`training_part` applies ``gap``. Either part may be empty."""
    group = split_units(group, split)
    if split == 'groups':
        num_groups = int(group.max()) + 1
        order = torch.randperm(num_groups, generator=torch.Generator().manual_seed(seed))
        num_held = round(fraction * num_groups)
        # Samples sorted by the rank of their group in the draw (stable).
        rank = torch.empty_like(order)
        rank[order] = torch.arange(num_groups)
        by_draw = rank[group].argsort(stable=True)
        held = torch.zeros_like(group, dtype=torch.bool)
        held[by_draw[rank[group[by_draw]] < num_held]] = True
    else:
        by_draw = torch.arange(group.numel())
        held = torch.zeros_like(group, dtype=torch.bool)
        for g in range(int(group.max()) + 1):
            members = group.eq(g).nonzero().view(-1)
            count = round(fraction * members.numel())
            held[members[members.numel() - count:]] = count > 0
    train = training_part(group, held, gap)
    return by_draw[train[by_draw]], by_draw[held[by_draw]]


def nearest_distance_ratio(train_lr: Tensor, held_lr: Tensor,
                           max_samples: int = 512) -> float:
    r"""The median distance from a held-out sample to its nearest training
    sample over the median distance between two training samples (strict
    upper triangles of ``[S, N, N]`` connectomes; at most ``max_samples``
    evenly spaced ones of each). Near 1 for independent samples; far below
    for near-copies (overlapping windows on both sides of a split)."""
    def thin(x: Tensor) -> Tensor:
        step = max(1, -(-x.size(0) // max_samples))
        return vectorize(x[::step], 'triu').double()
    train, held = thin(train_lr), thin(held_lr)
    between = torch.cdist(train, train)
    rows, cols = torch.triu_indices(len(train), len(train), 1)
    typical = between[rows, cols].median()
    nearest = torch.cdist(held, train).min(1).values.median()
    return float(nearest / typical) if typical > 0 else 1.


def lag_of_independence(lr_adj: Tensor, threshold: float = 0.95,
                        max_samples: int = 512, max_lag: int = 256) -> int:
    r"""The gap that makes samples in order independent-looking: one less
    than the smallest lag :math:`L` (at most ``max_lag``) at which the median
    distance between samples :math:`L` apart reaches ``threshold`` times the
    median distance between two samples (strict upper triangles of
    ``[S, N, N]``; the reference from at most ``max_samples``)."""
    x = vectorize(lr_adj, 'triu').double()
    step = max(1, -(-x.size(0) // max_samples))
    thinned = x[::step]
    rows, cols = torch.triu_indices(len(thinned), len(thinned), 1)
    typical = float(torch.cdist(thinned, thinned)[rows, cols].median())
    lags = range(1, min(x.size(0), max_lag + 1))
    for lag in lags:
        if float((x[lag:] - x[:-lag]).norm(dim=1).median()) >= threshold * typical:
            return lag - 1
    return len(lags)
