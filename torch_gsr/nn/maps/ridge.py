r"""Ridge regression from LR edges to HR edges as layers: :class:`RidgeMap`
(the closed-form regression, its training data held in buffers) and
:class:`RidgeBlend` (a model's prediction blended with it, the weight
chosen on held-out subjects)."""
from typing import Optional, Sequence

import torch
from torch import Tensor

from ...baselines import DEFAULT_ALPHAS, RidgeRegression
from ...utils.validation import check_adjacency, check_int, check_sizes
from ...utils.vectorize import num_edges, unvectorize, vectorize

# Buffers whose first dimension is the number of training subjects.
_SUBJECT_BUFFERS = ('train_edges', 'dual_coef')


class RidgeMap(torch.nn.Module):
    r"""Ridge regression from a connectome's LR edges to its HR edges,
    solved in closed form in the dual (kernel) form:

    .. math::
        \hat{\mathbf{y}} = \bar{\mathbf{y}} + (\mathbf{x} - \bar{\mathbf{x}})
        \mathbf{X}^\top \mathbf{C}, \qquad
        \mathbf{C} = (\mathbf{X} \mathbf{X}^\top + \alpha \mathbf{I})^{-1}
        (\mathbf{Y} - \bar{\mathbf{y}}),

    with :math:`\mathbf{x} \in \mathbb{R}^P` the strict upper triangle of an
    LR connectome (:math:`P = N_l (N_l - 1) / 2`), :math:`\mathbf{X} \in
    \mathbb{R}^{S \times P}` those of the :math:`S` training subjects centred
    on their mean :math:`\bar{\mathbf{x}}`, and :math:`\mathbf{y},
    \mathbf{Y}` the same for the HR connectomes (:math:`Q` edges). The
    prediction is reassembled into a symmetric ``[N_h, N_h]`` matrix whose
    diagonal is the training-mean diagonal. This is
    :class:`~torch_gsr.baselines.RidgeRegression` (which :meth:`fit` runs,
    :math:`\alpha` chosen by cross-validation on the training subjects) as a
    module: it moves with the model, is saved in its ``state_dict`` and
    predicts batched on any device.

    The dual form keeps :math:`\mathbf{X}` (``[S, P]``) and
    :math:`\mathbf{C}` (``[S, Q]``) instead of a ``[P, Q]`` weight matrix.
    Until :meth:`fit` runs, ``S = 0`` and the prediction is zero;
    :meth:`load_state_dict` takes any ``S``.

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.
        alphas (sequence of float): candidate :math:`\alpha` values.
            (default: :obj:`DEFAULT_ALPHAS` of :mod:`torch_gsr.baselines`)
        folds (int): cross-validation folds that choose :math:`\alpha`.
            (default: :obj:`5`)

    Shapes:
        - **input:** LR connectomes :math:`(B, N_l, N_l)`
        - **output:** HR connectomes :math:`(B, N_h, N_h)`
    """
    train_edges: Tensor  # [S, P] centred training LR edges
    dual_coef: Tensor  # [S, Q]
    lr_edge_mean: Tensor  # [P]
    hr_edge_mean: Tensor  # [Q]
    hr_diagonal: Tensor  # [N_h]
    alpha: Tensor  # [] the chosen regularisation strength

    def __init__(self, lr_nodes: int, hr_nodes: int,
                 alphas: Sequence[float] = DEFAULT_ALPHAS, folds: int = 5):
        super().__init__()
        self.lr_nodes = check_int(lr_nodes, 'lr_nodes')
        self.hr_nodes = check_int(hr_nodes, 'hr_nodes')
        self.alphas, self.folds = tuple(alphas), folds
        RidgeRegression(self.alphas, folds)  # checks them before the first fit
        self.register_buffer('train_edges', torch.zeros(0, num_edges(lr_nodes)))
        self.register_buffer('dual_coef', torch.zeros(0, num_edges(hr_nodes)))
        self.register_buffer('lr_edge_mean', torch.zeros(num_edges(lr_nodes)))
        self.register_buffer('hr_edge_mean', torch.zeros(num_edges(hr_nodes)))
        self.register_buffer('hr_diagonal', torch.zeros(hr_nodes))
        self.register_buffer('alpha', torch.zeros(()))
        self.register_load_state_dict_pre_hook(_fit_subject_buffers)

    @property
    def num_subjects(self) -> int:
        """:math:`S`, the training subjects held (0 before :meth:`fit`)."""
        return self.train_edges.size(0)

    def reset_parameters(self):
        """Forgets the training data: the prediction is zero again."""
        for name in _SUBJECT_BUFFERS:
            current = getattr(self, name)
            setattr(self, name, current.new_zeros(0, current.size(1)))
        for buffer in (self.lr_edge_mean, self.hr_edge_mean, self.hr_diagonal,
                       self.alpha):
            buffer.zero_()

    @torch.no_grad()
    def fit(self, lr_adj: Tensor, hr_adj: Tensor, seed: int = 0,
            groups: Optional[Tensor] = None) -> 'RidgeMap':
        r"""Solves the regression on training pairs (on the CPU in float64,
        a few ``S x S`` eigendecompositions; stored in this module's dtype and
        on its device).

        Args:
            lr_adj (Tensor): ``[S, N_l, N_l]`` training LR connectomes.
            hr_adj (Tensor): ``[S, N_h, N_h]`` training HR connectomes.
            seed (int): seeds the assignment of subjects to the
                cross-validation folds.
            groups (Tensor, optional): ``[S]`` group numbers; a fold holds
                a group whole. (default: each subject its own)
        """
        check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes)
        check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes)
        solution = RidgeRegression(self.alphas, self.folds, solver='dual', seed=seed).fit(
            lr_adj.detach().cpu(), hr_adj.detach().cpu(),
            None if groups is None else groups.cpu())
        like = self.lr_edge_mean
        assert solution.x_train_ is not None  # the dual form keeps it
        self.train_edges = solution.x_train_.to(like)
        self.dual_coef = solution.coef_.to(like)
        self.lr_edge_mean.copy_(solution.x_mean_)
        self.hr_edge_mean.copy_(solution.y_mean_)
        self.hr_diagonal.copy_(solution.hr_diagonal_)
        self.alpha.fill_(solution.alpha_)
        return self

    def forward(self, lr_adj: Tensor) -> Tensor:
        r"""Predicts HR connectomes.

        Args:
            lr_adj (Tensor): ``[B, N_l, N_l]`` LR connectomes.

        Returns:
            Tensor: ``[B, N_h, N_h]``, in ``lr_adj``'s dtype.
        """
        lr_edges = vectorize(lr_adj, 'triu').to(self.lr_edge_mean) - self.lr_edge_mean
        hr_edges = self.hr_edge_mean + (lr_edges @ self.train_edges.T) @ self.dual_coef
        hr_adj = unvectorize(hr_edges, 'triu') + torch.diag(self.hr_diagonal)
        return hr_adj.to(lr_adj.dtype)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'subjects={self.num_subjects})')


def _fit_subject_buffers(module: RidgeMap, state_dict: dict, prefix: str,
                         *_args) -> None:
    # The subject buffers take the saved number of subjects, so a freshly
    # built model loads a fitted one's state.
    for name in _SUBJECT_BUFFERS:
        saved = state_dict.get(prefix + name)
        if saved is not None:
            current = getattr(module, name)
            setattr(module, name, current.new_empty(saved.shape))


class RidgeBlend(torch.nn.Module):
    r"""A model's HR prediction blended with ridge regression's:

    .. math::
        \hat{\mathbf{A}}_h = (1 - w) \, \hat{\mathbf{A}}_h^{\text{model}}
        + w \, \hat{\mathbf{A}}_h^{\text{ridge}}, \qquad w \in [0, 1],

    with the ridge part a :class:`RidgeMap` fitted on the training subjects
    (:meth:`fit`, which sets :math:`w = 0`: the model trains alone) and
    :math:`w` chosen afterwards on held-out subjects (:meth:`calibrate`: the
    weight in :math:`[0, 1]` with the lowest mean absolute error).
    :class:`~torch_gsr.nn.NodeMapGSR` calls both, from its
    ``initialize`` and ``after_fit``.

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.

    Shapes:
        - **input:** LR connectomes :math:`(B, N_l, N_l)`, the model's
          prediction :math:`(B, N_h, N_h)`
        - **output:** the blend :math:`(B, N_h, N_h)`
    """
    weight: Tensor  # [] the ridge part's weight w

    def __init__(self, lr_nodes: int, hr_nodes: int):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.ridge = RidgeMap(lr_nodes, hr_nodes)
        self.register_buffer('weight', torch.zeros(()))

    def reset_parameters(self):
        """An unfitted ridge part with weight 0."""
        self.ridge.reset_parameters()
        self.weight.zero_()

    @torch.no_grad()
    def fit(self, lr_adj: Tensor, hr_adj: Tensor, seed: int = 0,
            groups: Optional[Tensor] = None) -> None:
        r"""Fits the ridge part on ``lr_adj`` ``[S, N_l, N_l]`` and ``hr_adj``
        ``[S, N_h, N_h]`` (``groups`` as :meth:`RidgeMap.fit`) and sets
        :math:`w = 0`."""
        self.ridge.fit(lr_adj, hr_adj, seed, groups)
        self.weight.zero_()

    @torch.no_grad()
    def calibrate(self, lr_adj: Tensor, model_hr_adj: Tensor,
                  hr_adj: Tensor) -> float:
        r"""Sets :math:`w` to the weight with the lowest mean absolute error
        on held-out subjects (the metric results are reported in), over the
        strict upper triangles, and returns it. With :math:`\mathbf{e} =
        \mathbf{y} - \hat{\mathbf{y}}^{\text{model}}` and :math:`\mathbf{d} =
        \hat{\mathbf{y}}^{\text{ridge}} - \hat{\mathbf{y}}^{\text{model}}`,
        :math:`\sum_i |e_i - w d_i| = \sum_i |d_i| \, |e_i / d_i - w|` is
        least at the :math:`|d_i|`-weighted median of :math:`e_i / d_i`,
        clipped to :math:`[0, 1]` (the error is convex in :math:`w`).

        Args:
            lr_adj (Tensor): ``[S, N_l, N_l]`` held-out LR connectomes.
            model_hr_adj (Tensor): ``[S, N_h, N_h]`` the model's own
                predictions for them (made with :math:`w = 0`).
            hr_adj (Tensor): ``[S, N_h, N_h]`` their HR connectomes.
        """
        if self.ridge.num_subjects == 0:
            raise RuntimeError("RidgeBlend.calibrate needs a fitted ridge "
                               "part: call fit(lr_adj, hr_adj) first")
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.ridge.lr_nodes)
        for name, adj in (('model_hr_adj', model_hr_adj), ('hr_adj', hr_adj)):
            adj = check_adjacency(adj, name, num_nodes=self.ridge.hr_nodes)
            if adj.size(0) != lr_adj.size(0):
                raise ValueError(f"{name} holds {adj.size(0)} subjects but "
                                 f"lr_adj holds {lr_adj.size(0)}")
        device = self.weight.device
        model_edges = vectorize(model_hr_adj, 'triu').to(device, torch.float64)
        ridge_edges = vectorize(self.ridge(lr_adj.to(device)), 'triu').double()
        gap = (ridge_edges - model_edges).flatten()
        error = (vectorize(hr_adj, 'triu').to(device, torch.float64)
                 - model_edges).flatten()
        self.weight.fill_(float(_weighted_median(error / gap, gap.abs()).clamp(0, 1)))
        return float(self.weight)

    def forward(self, lr_adj: Tensor, model_hr_adj: Tensor) -> Tensor:
        r"""``lr_adj`` ``[B, N_l, N_l]`` and the model's prediction
        ``model_hr_adj`` ``[B, N_h, N_h]`` -> the blend ``[B, N_h, N_h]``
        (the model's prediction itself while :math:`w = 0`, as in
        training)."""
        if not bool(self.weight):
            return model_hr_adj
        ridge_hr_adj = self.ridge(lr_adj).to(model_hr_adj)
        return torch.lerp(model_hr_adj, ridge_hr_adj, self.weight.to(model_hr_adj))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.ridge.lr_nodes}, '
                f'{self.ridge.hr_nodes}, weight={float(self.weight):.3g})')


def _weighted_median(values: Tensor, weights: Tensor) -> Tensor:
    r"""The ``weights``-weighted median of ``values`` (both ``[K]``); entries
    of weight 0 are left out (0 if none is left: the two predictions agree)."""
    kept = weights > 0
    if not bool(kept.any()):
        return values.new_zeros(())
    values, order = values[kept].sort()
    cumulative = weights[kept][order].cumsum(0)
    return values[torch.searchsorted(cumulative, cumulative[-1] / 2)]
