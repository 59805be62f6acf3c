r"""Per-edge prediction intervals by normalised split conformal prediction."""
import math
from typing import Tuple

import torch
from torch import Tensor

from ..utils.validation import check_int
from ..utils.vectorize import vectorize


class ConformalIntervals(torch.nn.Module):
    r"""Intervals around predicted HR edges, calibrated on held-out subjects
    by split conformal prediction with a per-edge scale :math:`\sigma`:

    .. math::
        [\hat{y}_e - q_c \sigma_e, \; \hat{y}_e + q_c \sigma_e], \qquad
        r_i = |y_i - \hat{y}_i| / \sigma_i,

    with :math:`q_c` the :math:`\lceil (n + 1) c \rceil`-th smallest of the
    :math:`n` scores :math:`r_i` of the calibration subjects' strict upper
    triangles (pooled over subjects and edges; :math:`\infty` past the
    largest). For subjects exchangeable with the calibration ones, a new
    subject's edges then fall inside with probability at least :math:`c` on
    average over subjects and edges. :meth:`calibrate` stores :math:`q_c`
    for :math:`c = k / L`, :math:`k = 1, \ldots, L - 1`; a coverage
    between these levels takes the next one up.

    Args:
        levels (int): :math:`L` (default: :obj:`1000`).

    Shapes:
        - **input:** predictions and scales :math:`(B, N_h, N_h)`
        - **output:** lower and upper bounds :math:`(B, N_h, N_h)` each
    """
    quantiles: Tensor  # [L - 1] q_c for c = k / L
    num_scores: Tensor  # [] n (0: not calibrated)

    def __init__(self, levels: int = 1000):
        super().__init__()
        self.levels = check_int(levels, 'levels', minimum=2)
        self.register_buffer('quantiles', torch.zeros(levels - 1))
        self.register_buffer('num_scores', torch.zeros((), dtype=torch.long))

    def reset_parameters(self):
        """Forgets the calibration."""
        self.quantiles.zero_()
        self.num_scores.zero_()

    @property
    def calibrated(self) -> bool:
        """Whether :meth:`calibrate` has run."""
        return bool(self.num_scores > 0)

    @torch.no_grad()
    def calibrate(self, prediction: Tensor, scale: Tensor, hr_adj: Tensor) -> int:
        r"""Stores the score quantiles of held-out subjects and returns
        :math:`n`.

        Args:
            prediction (Tensor): ``[S, N_h, N_h]`` predictions for them.
            scale (Tensor): ``[S, N_h, N_h]`` :math:`\sigma`, positive off the
                diagonal.
            hr_adj (Tensor): ``[S, N_h, N_h]`` their HR connectomes.
        """
        if not prediction.shape == scale.shape == hr_adj.shape:
            raise ValueError(f"prediction, scale and hr_adj must have one shape, "
                             f"got {list(prediction.shape)}, {list(scale.shape)} "
                             f"and {list(hr_adj.shape)}")
        sigma = vectorize(scale, 'triu').double()
        if not bool((sigma > 0).all()):
            raise ValueError("the scale must be positive on every edge")
        error = (vectorize(hr_adj.to(prediction), 'triu')
                 - vectorize(prediction, 'triu')).double().abs()
        scores = (error / sigma).flatten().sort().values
        if not bool(torch.isfinite(scores).all()):
            raise ValueError("the calibration data gave non-finite scores")
        n = scores.numel()
        ranks = torch.ceil(torch.arange(1, self.levels, dtype=torch.float64)
                           * (n + 1) / self.levels).long()
        padded = torch.cat([scores, scores.new_full((1,), math.inf)])
        self.quantiles.copy_(padded[ranks.clamp(max=n + 1) - 1].to(self.quantiles))
        self.num_scores.fill_(n)
        return n

    def quantile(self, coverage: float) -> Tensor:
        r""":math:`q_c` for ``coverage`` :math:`c \in (0, 1)`."""
        if not self.calibrated:
            raise RuntimeError("the intervals are not calibrated: call "
                               "calibrate() on held-out subjects first (fit does "
                               "it with validation data)")
        if not isinstance(coverage, (float, int)) or not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}")
        level = min(math.ceil(round(coverage * self.levels, 9)), self.levels - 1)
        return self.quantiles[level - 1]

    def forward(self, prediction: Tensor, scale: Tensor,
                coverage: float = 0.9) -> Tuple[Tensor, Tensor]:
        r"""``(lower, upper)``, each shaped like ``prediction``
        ``[B, N_h, N_h]``, for ``coverage`` (default: :obj:`0.9`)."""
        half_width = self.quantile(coverage).to(prediction) * scale.to(prediction)
        return prediction - half_width, prediction + half_width

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(levels={self.levels}, '
                f'scores={int(self.num_scores)})')
