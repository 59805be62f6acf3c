r"""What :class:`~torch_gsr.nn.EnsembleGSR` returns: its members' predictions
and their weighted sum, computed when first read."""
from functools import cached_property
from typing import Any, Callable, List

import torch
from torch import Tensor


class EnsembleOutput:
    r"""What :class:`EnsembleGSR` returns. ``members`` and ``hr_adj`` are
    computed when first read: the loss reads neither, so training does not
    run the closed-form members.

    Args:
        outputs (list): the trained members' own outputs (for the loss).
        closed_form (callable): returns the other members' predictions,
            each ``[B, N_h, N_h]``.
        weights (Tensor): ``[K]`` the members' weights.
    """
    def __init__(self, outputs: List[Any], closed_form: Callable[[], List[Tensor]],
                 weights: Tensor):
        self.outputs = outputs
        self._closed_form, self._weights = closed_form, weights

    @cached_property
    def members(self) -> Tensor:
        """``[K, B, N_h, N_h]`` every member's prediction, the closed-form
        ones last."""
        return torch.stack([out.hr_adj for out in self.outputs] + self._closed_form())

    @cached_property
    def hr_adj(self) -> Tensor:
        """``[B, N_h, N_h]`` the weighted prediction."""
        return torch.einsum('k,kbij->bij', self._weights.to(self.members), self.members)
