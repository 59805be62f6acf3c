r"""Reference predictors that every results table carries.

A super-resolution model is only useful if it beats these:

* :class:`MeanHR` predicts the training-set mean HR connectome for every
  subject (it ignores the LR input).
* :class:`RidgeRegression` maps the vectorised LR strict upper triangle
  linearly to the HR strict upper triangle, with the regularisation strength
  chosen by k-fold cross-validation on the training subjects only.

Both follow ``fit(lr_adj, hr_adj) -> self`` and ``predict(lr_adj) ->
hr_adj``; predictions have the input's dtype and device.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .utils.groups import fold_masks, group_index
from .utils.validation import check_adjacency, check_int
from .utils.vectorize import unvectorize, vectorize


def _check_training_pair(lr_adj: Tensor, hr_adj: Tensor) -> Tuple[Tensor, Tensor]:
    lr_adj = check_adjacency(lr_adj, name='lr_adj')
    hr_adj = check_adjacency(hr_adj, name='hr_adj')
    if lr_adj.size(0) != hr_adj.size(0):
        raise ValueError(f"lr_adj has {lr_adj.size(0)} subjects but hr_adj has "
                         f"{hr_adj.size(0)} (expected one HR connectome per LR "
                         f"connectome)")
    return lr_adj, hr_adj


def _upper(adj: Tensor) -> Tensor:
    r"""``[B, N, N]`` -> ``[B, N * (N - 1) / 2]`` strict upper triangle."""
    return vectorize(adj, 'triu')


def _symmetric(upper: Tensor, diagonal: Tensor) -> Tensor:
    r"""Inverse of :func:`_upper`: ``[B, E]`` and ``[N]`` -> ``[B, N, N]``."""
    return unvectorize(upper, 'triu') + torch.diag(diagonal)


class _Baseline:
    lr_nodes: Optional[int] = None

    def _check_predict_input(self, lr_adj: Tensor) -> Tensor:
        if self.lr_nodes is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call "
                               f"fit(lr_adj, hr_adj) before predict")
        return check_adjacency(lr_adj, name='lr_adj', num_nodes=self.lr_nodes)


class MeanHR(_Baseline):
    r"""Predicts the training-set mean HR connectome for every subject.

    Attributes:
        mean_ (Tensor): ``[Nh, Nh]`` float64 mean of the training HR graphs.
    """
    def fit(self, lr_adj: Tensor, hr_adj: Tensor,
            groups: Optional[Sequence] = None) -> 'MeanHR':
        r"""Stores the training-mean HR connectome.

        Args:
            lr_adj (Tensor): ``[S, Nl, Nl]`` training LR connectomes (only
                their node count is used).
            hr_adj (Tensor): ``[S, Nh, Nh]`` training HR connectomes.
            groups (sequence, optional): unused (the mean splits nothing).
        """
        lr_adj, hr_adj = _check_training_pair(lr_adj, hr_adj)
        self.lr_nodes = lr_adj.size(-1)
        self.mean_ = hr_adj.double().mean(dim=0)
        return self

    def predict(self, lr_adj: Tensor) -> Tensor:
        r"""``lr_adj [B, Nl, Nl]`` -> ``[B, Nh, Nh]`` copies of the mean."""
        lr_adj = self._check_predict_input(lr_adj)
        mean = self.mean_.to(device=lr_adj.device, dtype=lr_adj.dtype)
        return mean.expand(lr_adj.size(0), -1, -1).clone()

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


DEFAULT_ALPHAS = tuple(10.0 ** k for k in range(-3, 7))


class RidgeRegression(_Baseline):
    r"""Ridge regression from LR edges to HR edges, with an intercept.

    Features are the strict upper triangle of the LR connectome
    (``P = Nl (Nl - 1) / 2``), targets the strict upper triangle of the HR
    connectome (``Q = Nh (Nh - 1) / 2``); both are centred on the training
    means. The closed form is solved in the dual (kernel form, an ``S x S``
    system) when there are fewer subjects than features, which is the usual
    case for connectomes, and in the primal (``P x P``) otherwise. One
    eigendecomposition serves the whole ``alphas`` grid.

    ``alpha`` is chosen on the training data only: the grid value with the
    lowest mean squared error over ``folds``-fold cross-validation (ties go to
    the first grid value). Predictions are reassembled into symmetric
    ``[B, Nh, Nh]`` matrices whose diagonal is the training mean diagonal.

    Args:
        alphas (sequence of float): candidate regularisation strengths
            (absolute, on the scale of the centred LR edge weights).
        folds (int): cross-validation folds (capped at the number of
            subjects; unused when ``alphas`` has a single value).
        solver (str): ``"auto"``, ``"dual"`` or ``"primal"``.
        seed (int): seed of the random assignment of subjects to folds.

    Attributes:
        alpha_ (float): the chosen regularisation strength (set by
            :meth:`fit`, as are the attributes below).
        cv_errors_ (Tensor): ``[len(alphas)]`` cross-validated MSE per alpha
            (``None`` with a single alpha).
        solver_ (str): ``"dual"`` or ``"primal"``, the form actually solved.
    """
    def __init__(self, alphas: Sequence[float] = DEFAULT_ALPHAS, folds: int = 5,
                 solver: str = 'auto', seed: int = 0):
        alphas = [float(a) for a in alphas]
        if not alphas or any(not a > 0 for a in alphas):
            raise ValueError(f"alphas must be a non-empty sequence of positive "
                             f"numbers, got {alphas!r}")
        check_int(folds, 'folds', 2)
        if solver not in ('auto', 'dual', 'primal'):
            raise ValueError(f"solver must be 'auto', 'dual' or 'primal', "
                             f"got {solver!r}")
        self.alphas = alphas
        self.folds = folds
        self.solver = solver
        self.seed = seed

    def fit(self, lr_adj: Tensor, hr_adj: Tensor,
            groups: Union[Sequence, Tensor, None] = None) -> 'RidgeRegression':
        r"""Fits the ridge map on training pairs.

        Args:
            lr_adj (Tensor): ``[S, Nl, Nl]`` training LR connectomes.
            hr_adj (Tensor): ``[S, Nh, Nh]`` training HR connectomes.
            groups (sequence, optional): ``S`` group labels: the folds that
                choose alpha keep each group whole. (default: each subject
                its own group)
        """
        lr_adj, hr_adj = _check_training_pair(lr_adj, hr_adj)
        # The triangles first, then float64: half the memory of converting
        # whole connectomes (the values are the same).
        x = _upper(lr_adj).double()
        y = _upper(hr_adj).double()
        num_subjects, num_features = x.shape
        if self.solver == 'auto':
            self.solver_ = 'dual' if num_subjects < num_features else 'primal'
        else:
            self.solver_ = self.solver

        self.cv_errors_ = None
        if len(self.alphas) == 1:
            self.alpha_ = self.alphas[0]
        else:
            group = None if groups is None else group_index(groups, x.size(0))
            self.cv_errors_ = self._cross_validate(x, y, group)
            self.alpha_ = self.alphas[int(self.cv_errors_.argmin())]

        self.lr_nodes = lr_adj.size(-1)
        self.hr_nodes = hr_adj.size(-1)
        self.hr_diagonal_ = torch.diagonal(hr_adj, dim1=1, dim2=2).double().mean(0)
        self.x_mean_ = x.mean(dim=0)
        self.y_mean_ = y.mean(dim=0)
        # Dual: keep the centred training features and dual coefficients
        # (S x P and S x Q) instead of a P x Q weight matrix that may not fit
        # in memory (12720 x 35778 for 160 -> 268 nodes).
        x_c = x - self.x_mean_
        eigvals, eigvecs, projected = self._spectrum(x_c, y - self.y_mean_)
        self.coef_ = eigvecs @ (projected / (eigvals + self.alpha_)[:, None])
        self.x_train_ = x_c if self.solver_ == 'dual' else None
        return self

    def predict(self, lr_adj: Tensor) -> Tensor:
        r"""``lr_adj [B, Nl, Nl]`` -> predicted ``[B, Nh, Nh]``."""
        lr_adj = self._check_predict_input(lr_adj)
        x = _upper(lr_adj).double().to(self.x_mean_.device) - self.x_mean_
        if self.x_train_ is not None:  # the dual solution
            x = x @ self.x_train_.T
        y = self.y_mean_ + x @ self.coef_
        hr_adj = _symmetric(y, self.hr_diagonal_)
        return hr_adj.to(device=lr_adj.device, dtype=lr_adj.dtype)

    def _spectrum(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        r"""``(eigvals, eigvecs, projected)``: the eigenpairs of ``x x^T``
        (dual, ``[S]`` and ``[S, S]``) or ``x^T x`` (primal, ``[P]`` and
        ``[P, P]``) and the targets on the eigenvectors, ``V^T y`` or
        ``V^T x^T y``. Every alpha's coefficients are then
        ``V (projected / (eigvals + alpha))``: dual ``[S, Q]``, predicting
        ``x_new x^T coef``, or primal ``[P, Q]``."""
        if self.solver_ == 'dual':
            eigvals, eigvecs = torch.linalg.eigh(x @ x.T)
            projected = eigvecs.T @ y
        else:
            eigvals, eigvecs = torch.linalg.eigh(x.T @ x)
            projected = eigvecs.T @ (x.T @ y)
        return eigvals.clamp_min(0), eigvecs, projected

    def _cross_validate(self, x: Tensor, y: Tensor, group: Optional[Tensor]) -> Tensor:
        num_subjects = x.size(0)
        num_groups = num_subjects if group is None else int(group.max()) + 1
        if num_groups < 2:
            raise ValueError(f"choosing alpha by cross-validation needs at least "
                             f"2 training subjects (groups), got {num_groups} (or "
                             f"pass a single alpha)")
        errors = torch.zeros(len(self.alphas), dtype=torch.float64)
        for held_out in fold_masks(num_subjects, self.folds, group, self.seed):
            train = held_out.logical_not()
            x_mean, y_mean = x[train].mean(0), y[train].mean(0)
            x_train, y_train = x[train] - x_mean, y[train] - y_mean
            eigvals, eigvecs, projected = self._spectrum(x_train, y_train)
            # The held-out rows on the eigenvectors first: one [V, S] x [S, Q]
            # product per alpha instead of forming each [S, Q] solution.
            x_val = x[held_out] - x_mean
            x_val = (x_val @ x_train.T if self.solver_ == 'dual' else x_val) @ eigvecs
            for k, alpha in enumerate(self.alphas):
                residual = y_mean + (x_val / (eigvals + alpha)) @ projected - y[held_out]
                errors[k] += residual.pow(2).sum()
        return errors / (num_subjects * y.size(1))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(alphas={self.alphas}, folds={self.folds}, '
                f'solver={self.solver!r})')
