r"""Per-edge prediction intervals by normalised conformal prediction,
with the subject as the exchangeable unit, and per-edge scales for them."""
import math
from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from ...baselines import RidgeRegression
from ...utils.groups import fold_masks
from ...utils.validation import check_int
from ...utils.vectorize import vectorize

#: Candidate thresholds searched per calibration (pooled score quantiles).
MAX_CANDIDATES = 1 << 16


class ConformalIntervals(torch.nn.Module):
    r"""Intervals around predicted HR edges, calibrated on held-out subjects
    with a per-edge scale :math:`\sigma`:

    .. math::
        [\hat{y}_e - q_c \sigma_e, \; \hat{y}_e + q_c \sigma_e], \qquad
        q_c = \min \Big\{ q : \bar{F}(q) - t_{\gamma, n - 1}
        \frac{s(q)}{\sqrt{n}} \ge c \Big\},

    with :math:`F_i(q)` the number of calibration subject :math:`i`'s
    :math:`E` scores :math:`r = |y - \hat{y}| / \sigma` (strict upper
    triangle) at most :math:`q`, over :math:`E + 1`; :math:`\bar{F}` and
    :math:`s` their mean and standard deviation over the :math:`n` subjects;
    :math:`t_{\gamma, n - 1}` the Student :math:`t` quantile; :math:`q_c =
    \infty` where no :math:`q` reaches :math:`c`. Subjects, not edges, are
    exchangeable, so the bound is on a new subject's share of covered edges:
    at least :math:`c` in expectation, with confidence about :math:`\gamma`
    over the draw of calibration subjects. ``confidence=0.5`` (and a single
    subject, which has no spread) gives split conformal's pooled quantile,
    whose calibration subjects' mean share is :math:`c`. :meth:`calibrate`
    stores :math:`q_c` for :math:`c = k / L`, :math:`k = 1, \ldots, L - 1`;
    a coverage between these levels takes the next one up.

    Args:
        levels (int): :math:`L` (default: :obj:`1000`).
        confidence (float): :math:`\gamma \in [0.5, 1)` (default:
            :obj:`0.9`).

    Shapes:
        - **input:** predictions and scales :math:`(B, N_h, N_h)`
        - **output:** lower and upper bounds :math:`(B, N_h, N_h)` each
    """
    quantiles: Tensor  # [L - 1] q_c for c = k / L
    num_scores: Tensor  # [] scores of the calibration subjects (0: not calibrated)

    def __init__(self, levels: int = 1000, confidence: float = 0.9):
        super().__init__()
        self.levels = check_int(levels, 'levels', minimum=2)
        self.confidence = check_confidence(confidence, 'confidence')
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
    def calibrate(self, prediction: Tensor, scale: Tensor, hr_adj: Tensor,
                  groups: Optional[Tensor] = None) -> int:
        r"""Stores :math:`q_c` from held-out subjects and returns their
        number of scores.

        Args:
            prediction (Tensor): ``[S, N_h, N_h]`` predictions for them.
            scale (Tensor): ``[S, N_h, N_h]`` :math:`\sigma`, positive off the
                diagonal.
            hr_adj (Tensor): ``[S, N_h, N_h]`` their HR connectomes.
            groups (Tensor, optional): ``[S]`` group numbers ``0..n-1``: the
                :math:`n` exchangeable units are the groups, :math:`F_i` the
                mean over group :math:`i`'s samples (default: each subject
                its own group).
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
        scores = error / sigma
        if not bool(torch.isfinite(scores).all()):
            raise ValueError("the calibration data gave non-finite scores")
        levels = torch.arange(1, self.levels, dtype=torch.float64) / self.levels
        self.quantiles.copy_(subject_quantiles(scores, levels, self.confidence, groups))
        self.num_scores.fill_(scores.numel())
        return scores.numel()

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
                f'confidence={self.confidence}, scores={int(self.num_scores)})')


def check_confidence(value: Any, name: str) -> float:
    r"""``value`` as a float in :math:`[0.5, 1)`, or a ``ValueError`` naming
    ``name``."""
    if isinstance(value, bool) or not isinstance(value, (float, int)) or not 0.5 <= value < 1:
        raise ValueError(f"{name} must be in [0.5, 1), got {value!r}")
    return float(value)


def subject_quantiles(scores: Tensor, levels: Tensor, confidence: float,
                      groups: Optional[Tensor] = None) -> Tensor:
    r""":math:`q_c` of :class:`ConformalIntervals` for each of ``levels``
    ``[L]``, from the scores ``[S, E]`` of ``S`` subjects in the ``[S]``
    ``groups`` (default: each its own)."""
    if groups is None:
        groups = torch.arange(scores.size(0))
    groups = groups.to(scores.device, torch.long)
    n = int(groups.max()) + 1
    pooled = scores.flatten().sort().values
    # The thresholds worth trying are the pooled scores themselves; a large
    # calibration set is thinned to evenly spaced ranks.
    picks = torch.linspace(0, pooled.numel() - 1, min(pooled.numel(), MAX_CANDIDATES))
    candidates = pooled[picks.round().long()].unique()
    # F_i(q) counts a new edge as missed (split conformal's + 1), so one
    # subject's q_c is its ceil((E + 1) c)-th smallest score.
    shares = torch.searchsorted(scores.sort(dim=1).values.contiguous(),
                                candidates.expand(scores.size(0), -1).contiguous(),
                                right=True).double() / (scores.size(1) + 1)
    # A group's share: the mean of its subjects' (dependent samples count
    # as one unit).
    counts = groups.bincount(minlength=n).double().unsqueeze(1)
    shares = shares.new_zeros(n, shares.size(1)).index_add_(0, groups, shares) / counts
    bound = shares.mean(0)
    if n > 1 and confidence > 0.5:
        from scipy.stats import t
        bound = bound - float(t.ppf(confidence, n - 1)) * shares.std(0) / math.sqrt(n)
    # The bound need not rise with q; the smallest q reaching c is the first
    # point where its running maximum does.
    reached = torch.searchsorted(bound.cummax(0).values, levels.to(bound))
    padded = torch.cat([candidates, candidates.new_full((1,), math.inf)])
    return padded[reached]


def positive_scale(scale: Tensor) -> Tensor:
    r"""``scale`` floored at a thousandth of its mean: edges constant in
    training keep a positive :math:`\sigma`."""
    return scale.clamp(min=1e-3 * float(scale.mean()) + 1e-12)


def ridge_residual_scale(lr_adj: Tensor, hr_adj: Tensor, alpha: Optional[float],
                         folds: int = 5, groups: Optional[Tensor] = None) -> Tensor:
    r"""``[N_h, N_h]`` root mean square out-of-fold residual of ridge
    regression with ``alpha`` (``None``: cross-validated) on each edge, the
    folds keeping each of the ``[S]`` ``groups`` whole (:obj:`None`: each
    sample its own)."""
    lr_adj, hr_adj = lr_adj.detach().cpu(), hr_adj.detach().cpu()
    num_subjects = lr_adj.size(0)
    if num_subjects < 2:
        return hr_adj.new_ones(hr_adj.shape[1:])
    if alpha is None:
        alpha = RidgeRegression().fit(lr_adj, hr_adj, groups).alpha_
    squares = torch.zeros(hr_adj.shape[1:], dtype=torch.float64)
    for held_out in fold_masks(num_subjects, folds, groups):
        train = ~held_out
        ridge = RidgeRegression([alpha]).fit(lr_adj[train], hr_adj[train])
        squares += (ridge.predict(lr_adj[held_out]).double()
                    - hr_adj[held_out].double()).pow(2).sum(0)
    return (squares / num_subjects).sqrt()
