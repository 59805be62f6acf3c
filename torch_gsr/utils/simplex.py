r"""Weights on a grid of the probability simplex, chosen by their mean
absolute error."""
from typing import Iterator, Tuple

import torch
from torch import Tensor


def simplex_grid(total: int, parts: int) -> Iterator[Tuple[int, ...]]:
    r"""Every ``parts``-tuple of non-negative integers summing to ``total``,
    in lexicographic order."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in simplex_grid(total - first, parts - 1):
            yield (first, *rest)


def best_simplex_weights(members: Tensor, target: Tensor, steps: int) -> Tensor:
    r"""The point of the simplex grid of step ``1 / steps`` with the lowest
    mean absolute error of ``weights @ members`` (``[K, M]``) against
    ``target`` (``[M]``); ties go to the first in grid order."""
    grid = torch.tensor(list(simplex_grid(steps, members.size(0))),
                        dtype=members.dtype) / steps
    errors = torch.cat([(target - chunk.to(members) @ members).abs().mean(1)
                        for chunk in grid.split(8)])
    return grid[int(errors.argmin())]
