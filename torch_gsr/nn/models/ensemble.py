r"""EnsembleGSR: several super-resolution models and ridge regression trained
as one model, combined with weights chosen on held-out subjects, with
per-edge conformal prediction intervals."""
import warnings
from dataclasses import dataclass, fields, replace
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union, cast

import torch
from torch import Tensor

from ...utils.simplex import best_simplex_weights
from ...utils.validation import check_int, check_sizes
from ...utils.vectorize import vectorize
from ..base import SuperResolutionModel
from ..maps.local_ridge import LocalRidgeMap
from ..maps.parcel_covariance import ParcelCovarianceMap
from ..maps.ridge import RidgeMap
from ..registry import MODELS, register_model
from ..uncertainty.conformal import (
    ConformalIntervals,
    check_confidence,
    positive_scale,
    ridge_residual_scale,
)
from .ensemble_output import EnsembleOutput
from .gsr_model import GSRLoss

INTERVAL_SCALES = ('spread', 'ridge_residual', 'edge_std', 'constant')


#: A member: a model name, or a name and options for its constructor.
MemberSpec = Union[str, Tuple[str, Dict[str, Any]]]


@dataclass(frozen=True)
class EnsembleConfig:
    r"""The options of :class:`EnsembleGSR` (see there)."""
    members: Sequence[MemberSpec] = ('NodeMapGSR', 'GSRNet')  # held as a tuple
    ridge: bool = True
    local_ridge: bool = True
    neighbours: int = 8
    weight_grid: int = 20
    interval_scale: str = 'spread'
    interval_confidence: float = 0.9
    member_preset: str = 'recommended'
    parcels: Optional[Sequence[int]] = None  # held as a tuple
    refit_maps: bool = True

    def __post_init__(self):
        if isinstance(self.members, str):
            raise TypeError(f"members must be a sequence of model names or "
                            f"(name, options) pairs, got {self.members!r}")
        object.__setattr__(self, 'members', tuple(_check_member(m) for m in self.members))
        if not self.members and not self.ridge and not self.local_ridge:
            raise ValueError("members is empty and ridge=local_ridge=False: "
                             "nothing to combine")
        check_int(self.weight_grid, 'weight_grid')
        check_int(self.neighbours, 'neighbours')
        if self.interval_scale not in INTERVAL_SCALES:
            raise ValueError(f"interval_scale must be one of {INTERVAL_SCALES}, "
                             f"got {self.interval_scale!r}")
        check_confidence(self.interval_confidence, 'interval_confidence')
        if self.parcels is not None:
            object.__setattr__(self, 'parcels', tuple(int(p) for p in self.parcels))


def _check_member(member: Any) -> MemberSpec:
    if isinstance(member, str):
        return member
    if (isinstance(member, (tuple, list)) and len(member) == 2
            and isinstance(member[0], str) and isinstance(member[1], dict)):
        return (member[0], dict(member[1]))
    raise TypeError(f"a member must be a model name or a (name, options) pair, "
                    f"got {member!r}")


def _name_and_options(member: MemberSpec) -> Tuple[str, Dict[str, Any]]:
    return (member, {}) if isinstance(member, str) else member


def member_label(member: MemberSpec) -> str:
    r"""``'NodeMapGSR'``, or ``'NodeMapGSR(softmax_map=False)'`` with options."""
    name, options = _name_and_options(member)
    if not options:
        return name
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in options.items())})"


@register_model
class EnsembleGSR(SuperResolutionModel):
    r"""A weighted combination of ``K`` member predictions:

    .. math::
        \hat{\mathbf{A}}_h = \sum_{k=1}^K w_k \hat{\mathbf{A}}_h^{(k)},
        \qquad w_k \ge 0, \quad \sum_k w_k = 1,

    the members being models of :data:`MODELS` (``members``; listed twice,
    two differently initialised members; without their own ridge blend), a
    :class:`RidgeMap`, a :class:`LocalRidgeMap` and, given ``parcels``, a
    :class:`ParcelCovarianceMap` (closed form: :meth:`initialize`, then
    :meth:`refit` on every training sample). :func:`~torch_gsr.train.fit`
    trains each model member as it would alone, on the ensemble's split.
    :meth:`after_fit` chooses :math:`\mathbf{w}` on the validation subjects
    (the simplex grid point of step ``1 / weight_grid`` with the lowest mean
    absolute error) and calibrates :class:`ConformalIntervals` on them, a
    group a unit (without validation subjects: equal weights, no intervals).

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.
        preset (str): other than :obj:`'recommended'`, sets ``member_preset``.
        members (sequence): model names, or ``(name, options)`` pairs, e.g.
            ``('NodeMapGSR', {'softmax_map': False})`` (default:
            :obj:`('NodeMapGSR', 'GSRNet')`).
        ridge (bool): add ridge regression as a member (default: :obj:`True`).
        local_ridge (bool): add :class:`LocalRidgeMap` (default: :obj:`True`).
        neighbours (int): its LR nodes per HR node (default: :obj:`8`).
        weight_grid (int): grid steps per unit weight (default: :obj:`20`).
        interval_scale (str): the per-edge scale :math:`\sigma`:
            ``'spread'`` (the members' standard deviation plus a tenth of the
            edge's training one), ``'ridge_residual'``, ``'edge_std'`` or
            ``'constant'`` (``docs/accuracy.md``; default: :obj:`'spread'`).
        interval_confidence (float): the intervals' ``confidence`` (default: :obj:`0.9`).
        member_preset (str): the members' preset (default: :obj:`'recommended'`).
        parcels (sequence of int, optional): each HR region's LR region
            (LR regions merging HR ones): adds :class:`ParcelCovarianceMap`
            as a member (default: :obj:`None`).
        refit_maps (bool): :meth:`refit` fits the closed-form members again
            (default: :obj:`True`).
    """
    config_class = EnsembleConfig
    monitor = 'hr'
    config: EnsembleConfig
    gives_intervals = True
    edge_std: Tensor  # [N_h, N_h] training standard deviation of each edge
    residual_scale: Tensor  # [N_h, N_h] RMS out-of-fold ridge residual
    weights: Tensor  # [K] w

    def __init__(self, lr_nodes: int, hr_nodes: int, preset: str = 'recommended', *,
                 members: Sequence[MemberSpec] = ('NodeMapGSR', 'GSRNet'),
                 ridge: bool = True, local_ridge: bool = True,
                 neighbours: int = 8, weight_grid: int = 20,
                 interval_scale: str = 'spread', interval_confidence: float = 0.9,
                 member_preset: str = 'recommended',
                 parcels: Optional[Sequence[int]] = None, refit_maps: bool = True):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        if preset != 'recommended':
            member_preset = preset
        self.config = EnsembleConfig(members, ridge, local_ridge, neighbours,
                                     weight_grid, interval_scale, interval_confidence,
                                     member_preset, parcels, refit_maps)
        names = [_name_and_options(member)[0] for member in self.config.members]
        unknown = [name for name in names
                   if name not in MODELS or name == type(self).__name__]
        if unknown:
            raise ValueError(f"members must name models of {sorted(MODELS)} "
                             f"(not {type(self).__name__}), got {unknown}")
        self.models = torch.nn.ModuleList(
            _member(member, lr_nodes, hr_nodes, member_preset)
            for member in self.config.members)
        self.spectral = any(model.spectral for model in self.models)
        self.ridge = RidgeMap(lr_nodes, hr_nodes) if ridge else None
        self.local_ridge = (LocalRidgeMap(lr_nodes, hr_nodes, min(neighbours, lr_nodes))
                            if local_ridge else None)
        self.parcel_covariance = _parcel_member(self.config.parcels, lr_nodes, hr_nodes)
        self.num_members = len(self.models) + len(self.closed_form_members())
        self.register_buffer('edge_std', torch.ones(hr_nodes, hr_nodes))
        self.register_buffer('residual_scale', torch.ones(hr_nodes, hr_nodes))
        self.register_buffer('weights', torch.full((self.num_members,),
                                                   1 / self.num_members))
        self.intervals = ConformalIntervals(confidence=interval_confidence)
        # after_fit's members' predictions, target and groups (not saved): the
        # intervals' recalibration, which the refitted members cannot redo.
        self._held_out: Optional[Tuple[Tensor, Tensor, Optional[Tensor]]] = None
        self._refitted = False

    @property
    def member_names(self) -> List[str]:
        """The trained members' model names, with their options."""
        return [member_label(member) for member in self.config.members]

    @property
    def all_member_names(self) -> List[str]:
        """Every member's name, in the order of the weights."""
        return self.member_names + [type(m).__name__ for m in self.closed_form_members()]

    @property
    def interval_scale(self) -> str:
        r"""The interval scale's kind; settable: the intervals are then
        calibrated again on the predictions :meth:`after_fit` kept."""
        return self.config.interval_scale

    @interval_scale.setter
    def interval_scale(self, value: str) -> None:
        self.config = replace(self.config, interval_scale=value)
        self._recalibrate()

    @property
    def interval_confidence(self) -> float:
        r"""The intervals' ``confidence``; settable, as :attr:`interval_scale`."""
        return self.config.interval_confidence

    @interval_confidence.setter
    def interval_confidence(self, value: float) -> None:
        self.config = replace(self.config, interval_confidence=value)
        self.intervals.confidence = self.config.interval_confidence
        self._recalibrate()

    @property
    def weight_grid(self) -> int:
        """Grid steps per unit weight."""
        return self.config.weight_grid

    def closed_form_members(self) -> List[Union[RidgeMap, LocalRidgeMap,
                                                ParcelCovarianceMap]]:
        r"""The members :meth:`initialize` fits in closed form."""
        return [m for m in (self.ridge, self.local_ridge, self.parcel_covariance)
                if m is not None]

    def trained_members(self) -> List[SuperResolutionModel]:
        r"""The members ``fit`` trains (ridge is fitted in closed form)."""
        return cast(List[SuperResolutionModel], list(self.models))

    def members_trained_alone(self) -> List[SuperResolutionModel]:
        r"""The model members: ``fit`` trains each as it would alone."""
        return self.trained_members()

    def reset_parameters(self):
        r"""Resets every member, equal weights, no calibration."""
        for model in self.models:
            model.reset_parameters()
        for closed_form in self.closed_form_members():
            closed_form.reset_parameters()
        self.edge_std.fill_(1.)
        self.residual_scale.fill_(1.)
        self.weights.fill_(1 / self.num_members)
        self.intervals.reset_parameters()
        self._held_out, self._refitted = None, False

    @torch.no_grad()
    def initialize(self, lr_adj: Tensor, hr_adj: Tensor,
                   groups: Optional[Tensor] = None) -> None:
        r"""Fits the closed-form members (their folds keep each of the
        ``[S]`` ``groups`` whole) and stores the edges' training standard
        deviations (``[S, N_l, N_l]``, ``[S, N_h, N_h]`` training
        connectomes); the model members are initialised by their own fit."""
        for closed_form in self.closed_form_members():
            closed_form.fit(lr_adj, hr_adj, groups=groups)
        std = (hr_adj.std(0) if hr_adj.size(0) > 1
               else torch.zeros_like(hr_adj[0])).to(self.edge_std)
        self.edge_std.copy_(positive_scale(std))
        alpha = None if self.ridge is None else float(self.ridge.alpha)
        self.residual_scale.copy_(positive_scale(
            ridge_residual_scale(lr_adj, hr_adj, alpha, groups=groups)))

    def derived_state_keys(self) -> List[str]:
        r"""The state :meth:`initialize` recomputes from the training
        subjects."""
        keys = ['edge_std', 'residual_scale']
        for name, member in (('ridge', self.ridge), ('local_ridge', self.local_ridge),
                             ('parcel_covariance', self.parcel_covariance)):
            if member is not None:
                keys += [f'{name}.{key}' for key, _ in member.named_buffers()]
        for k, model in enumerate(self.trained_members()):
            keys += [f'models.{k}.{key}' for key in model.derived_state_keys()]
        return keys

    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> EnsembleOutput:
        r"""Every member's prediction for checked ``[B, N_l, N_l]`` LR
        connectomes (``lr_eigvecs`` go to the spectral members)."""
        outputs = [model(lr_adj, lr_eigvecs if model.spectral else None,
                         validate=False) for model in self.models]
        closed_form = self.closed_form_members()
        return EnsembleOutput(outputs, lambda: [member(lr_adj) for member in closed_form],
                              self.weights.clone())

    def loss(self, out: EnsembleOutput, hr_adj: Tensor,
             hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> GSRLoss:
        r"""The trained members' losses: ``total``, ``eig`` and ``rec``
        summed, ``hr`` the lowest member's (a score of the ensemble as a
        whole; :func:`~torch_gsr.train.fit` trains each member on its own
        loss, :meth:`members_trained_alone`)."""
        # A trained member's prediction gives the target's shape: out.hr_adj
        # would run the closed-form members, which the loss does not use.
        like = out.outputs[0].hr_adj if out.outputs else out.hr_adj
        hr_adj = self.read_target(hr_adj, like, validate)
        pairs = zip(self.trained_members(), out.outputs, strict=True)
        terms = [model.loss(o, hr_adj, hr_eigvecs, validate=False)[:4] for model, o in pairs]
        if not terms:  # closed-form members alone: nothing to train
            zero = like.sum() * 0
            return GSRLoss(zero, zero, zero, zero)
        total, hr, eig, rec = (torch.stack(column) for column in zip(*terms, strict=True))
        return GSRLoss(total.sum(), hr.min(), eig.sum(), rec.sum())

    def scale(self, out: EnsembleOutput) -> Tensor:
        r"""The interval scale :math:`\sigma` ``[B, N_h, N_h]`` of an
        output (see the class doc)."""
        edge_std = self.edge_std.to(out.hr_adj).expand_as(out.hr_adj)
        if self.interval_scale == 'ridge_residual':
            return self.residual_scale.to(out.hr_adj).expand_as(out.hr_adj)
        if self.interval_scale == 'edge_std':
            return edge_std
        if self.interval_scale == 'constant':
            return torch.ones_like(out.hr_adj)
        spread = (out.members.std(0, unbiased=False) if self.num_members > 1
                  else torch.zeros_like(out.hr_adj))
        return spread + 0.1 * edge_std

    @torch.no_grad()
    def after_fit(self, lr_adj: Tensor, hr_adj: Tensor,
                  groups: Optional[Tensor] = None) -> Dict[str, float]:
        r"""Chooses :math:`\mathbf{w}` on held-out (validation) subjects
        ``[S, N_l, N_l]``, ``[S, N_h, N_h]``, then calibrates the intervals
        on them, each of the ``[S]`` ``groups`` (default: each subject its
        own) a unit; returns the weights (``weight_<k>_<member>``). After
        :meth:`refit` the validation subjects are no longer held out: this
        needs others."""
        if self._refitted:
            warnings.warn("after_fit after refit: the closed-form members were "
                          "fitted on fit's validation samples too, so pass other "
                          "held-out samples (or fit with refit_maps=False)",
                          UserWarning, stacklevel=2)
        members = torch.cat([out.members for out in self.outputs_in_eval(lr_adj)], dim=1)
        target = vectorize(hr_adj.to(members), 'triu').double().flatten()
        self.weights.copy_(best_simplex_weights(
            vectorize(members, 'triu').double().flatten(1), target, self.weight_grid))
        self._held_out, self._refitted = (members, hr_adj, groups), False
        self._recalibrate()
        return {f'weight_{k}_{name}': float(w) for k, (name, w)
                in enumerate(zip(self.all_member_names, self.weights, strict=True))}

    def _recalibrate(self) -> None:
        r"""Calibrates the intervals on :meth:`after_fit`'s predictions, if any."""
        if self._held_out is not None:
            members, hr_adj, groups = self._held_out
            out = EnsembleOutput([], lambda: list(members), self.weights.clone())
            self.intervals.calibrate(out.hr_adj, self.scale(out), hr_adj, groups)

    @torch.no_grad()
    def refit(self, lr_adj: Tensor, hr_adj: Tensor,
              groups: Optional[Tensor] = None) -> None:
        r"""With ``refit_maps``, fits the closed-form members again on every
        training sample (``[S, N_l, N_l]``, ``[S, N_h, N_h]``, ``[S]``
        ``groups``): the weights and intervals stay those chosen with them
        fitted on the training part alone."""
        if self.config.refit_maps:
            for closed_form in self.closed_form_members():
                closed_form.fit(lr_adj, hr_adj, groups=groups)
            self._refitted = True

    def interval_bounds(self, out: EnsembleOutput, coverage: float = 0.9
                        ) -> Tuple[Tensor, Tensor]:
        r"""``(lower, upper)`` ``[B, N_h, N_h]`` of an output of this model
        (what :func:`~torch_gsr.train.predict` calls with ``intervals``)."""
        return self.intervals(out.hr_adj, self.scale(out), coverage)

    def __repr__(self) -> str:
        names = ', '.join(self.all_member_names)
        return f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, [{names}])'


def _member(member: MemberSpec, lr_nodes: int, hr_nodes: int,
            preset: str) -> SuperResolutionModel:
    name, options = _name_and_options(member)
    cls = MODELS[name]
    if 'ridge_blend' in {field.name for field in fields(cls.config_class)}:
        options = {'ridge_blend': False, **options}  # ridge is a member already
    # Built once (an initialisation draws from the global generator).
    return cls(lr_nodes, hr_nodes, preset=preset, **options)


def _parcel_member(parcels: Optional[Sequence[int]], lr_nodes: int,
                   hr_nodes: int) -> Optional[ParcelCovarianceMap]:
    member = None if parcels is None else ParcelCovarianceMap(torch.tensor(parcels))
    if member is not None and (member.lr_nodes, member.hr_nodes) != (lr_nodes, hr_nodes):
        raise ValueError(f"parcels must give each of the {hr_nodes} HR regions "
                         f"one of the {lr_nodes} LR regions, got {member.hr_nodes} "
                         f"numbering {member.lr_nodes}")
    return member

