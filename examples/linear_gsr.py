r"""A model defined outside torch_gsr: every command and function of the
package takes it once this module is imported (``torch-gsr ... --plugin
examples/linear_gsr.py``, or an entry point of group ``torch_gsr.models``
in an installed package). docs/adding_a_model.md walks through it.

LinearGSR maps the LR upper triangle linearly to the HR one, starting at
the training-mean HR connectome:

.. math::
    \mathrm{triu}(\hat{\mathbf{A}}_h) = \bar{\mathbf{a}}_h
    + \mathbf{W} (\mathrm{triu}(\mathbf{A}_l) - \bar{\mathbf{a}}_l)
"""
from dataclasses import dataclass
from typing import NamedTuple, Optional

import torch
from torch import Tensor

from torch_gsr.nn import SuperResolutionModel, preset_options, register_model
from torch_gsr.utils.vectorize import unvectorize, vectorize


@dataclass(frozen=True)
class LinearGSRConfig:
    r"""The options of :class:`LinearGSR`: ``l1`` weighs the loss's mean
    absolute error against its mean squared one."""
    l1: float = 0.

    def __post_init__(self):
        if not 0 <= self.l1 <= 1:
            raise ValueError(f"l1 must be in [0, 1], got {self.l1!r}")


class LinearLoss(NamedTuple):
    r"""The loss terms, ``total`` first: the history's columns."""
    total: Tensor
    mse: Tensor
    mae: Tensor


class LinearOutput(NamedTuple):
    hr_adj: Tensor  # [B, N_h, N_h]


@register_model
class LinearGSR(SuperResolutionModel):
    r"""A linear map between the upper triangles, from the training means.

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.
        preset (str): where unset options come from. (default: :obj:`'recommended'`)
        l1 (float): weight of the absolute error in the loss. (default: :obj:`0.`)
    """
    config_class = LinearGSRConfig
    monitor = 'mae'  # what early stopping watches
    lr_mean: Tensor
    hr_mean: Tensor

    @preset_options(LinearGSRConfig, dict(recommended=LinearGSRConfig(),
                                          paper=LinearGSRConfig(l1=1.)))
    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 l1: float = 0.):
        super().__init__()
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        self.config = LinearGSRConfig(l1)
        lr_edges, hr_edges = lr_nodes * (lr_nodes - 1) // 2, hr_nodes * (hr_nodes - 1) // 2
        self.weight = torch.nn.Parameter(torch.zeros(hr_edges, lr_edges))
        self.register_buffer('lr_mean', torch.zeros(lr_edges))
        self.register_buffer('hr_mean', torch.zeros(hr_edges))

    def reset_parameters(self):
        torch.nn.init.zeros_(self.weight)

    @torch.no_grad()
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor) -> None:
        self.lr_mean.copy_(vectorize(lr_adj, 'triu').mean(0))
        self.hr_mean.copy_(vectorize(hr_adj, 'triu').mean(0))

    def derived_state_keys(self):
        return ['lr_mean', 'hr_mean']

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> LinearOutput:
        # lr_adj: [B, N_l, N_l], checked by forward (any PyG input form).
        upper = self.hr_mean + (vectorize(lr_adj, 'triu') - self.lr_mean) @ self.weight.T
        return LinearOutput(unvectorize(upper, 'triu', diagonal=1.))

    def loss(self, out: LinearOutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None, validate: bool = True) -> LinearLoss:
        hr_adj = self.read_target(hr_adj, out.hr_adj, validate)
        error = vectorize(out.hr_adj, 'triu') - vectorize(hr_adj, 'triu')
        mse, mae = error.pow(2).mean(), error.abs().mean()
        return LinearLoss((1 - self.config.l1) * mse + self.config.l1 * mae, mse, mae)
