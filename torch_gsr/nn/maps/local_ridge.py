r"""Ridge regression of every HR edge on the LR edges near its two ends, as a
layer fitted in closed form."""
from typing import Iterator, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor

from ...baselines import DEFAULT_ALPHAS, RidgeRegression
from ...utils.groups import fold_masks
from ...utils.validation import check_adjacency, check_int, check_sizes
from ...utils.vectorize import num_edges, unvectorize, vectorize

# HR edges per block of the fit and the prediction: the features of a block
# are [S, EDGE_BLOCK, k * k], a few hundred MB at most.
EDGE_BLOCK = 2048
# HR edges whose cross-validation chooses alpha.
CV_EDGES = 4096


class LocalRidgeMap(torch.nn.Module):
    r"""Ridge regression of every HR edge on the LR edges between the LR
    nodes nearest its two ends:

    .. math::
        \hat{a}^h_{ij} = b_{ij} + \sum_{u \in \mathcal{N}(i)}
        \sum_{v \in \mathcal{N}(j)} w_{ij,uv} \, a^l_{uv},

    with :math:`\mathcal{N}(i)` the ``neighbours`` LR nodes whose strengths
    (weighted degrees) correlate most, across the training subjects, with
    the strength of HR node :math:`i` (an HR region's strength follows the
    strengths of the LR regions it overlaps). Each HR edge has its own
    ``k * k`` weights and intercept, fitted on the training subjects by
    ridge regression on standardised features; one :math:`\alpha` for all
    edges is chosen by ``folds``-fold cross-validation (lowest mean squared
    error, as :class:`~torch_gsr.baselines.RidgeRegression`, on a sample
    of :data:`CV_EDGES` edges). The diagonal is the training-mean diagonal.
    Until :meth:`fit` runs the prediction is zero.

    Args:
        lr_nodes (int): :math:`N_l`.
        hr_nodes (int): :math:`N_h`.
        neighbours (int): :math:`k`, LR nodes per HR node (at most
            :math:`N_l`). (default: :obj:`8`)
        alphas (sequence of float): candidate :math:`\alpha` values.
            (default: :obj:`DEFAULT_ALPHAS` of :mod:`torch_gsr.baselines`)
        folds (int): cross-validation folds. (default: :obj:`5`)

    Shapes:
        - **input:** LR connectomes :math:`(B, N_l, N_l)`
        - **output:** HR connectomes :math:`(B, N_h, N_h)`
    """
    neighbour_index: Tensor  # [N_h, k] the LR nodes of each HR node
    weight: Tensor  # [Q, k * k] per HR edge, on the raw LR edges
    bias: Tensor  # [Q]
    hr_diagonal: Tensor  # [N_h]
    alpha: Tensor  # [] the chosen regularisation strength

    def __init__(self, lr_nodes: int, hr_nodes: int, neighbours: int = 8,
                 alphas: Sequence[float] = DEFAULT_ALPHAS, folds: int = 5):
        super().__init__()
        check_sizes(lr_nodes, hr_nodes)
        self.lr_nodes, self.hr_nodes = lr_nodes, hr_nodes
        check_int(neighbours, 'neighbours')
        if neighbours > lr_nodes:
            raise ValueError(f"neighbours must be at most lr_nodes ({lr_nodes}), "
                             f"got {neighbours}")
        self.neighbours = neighbours
        RidgeRegression(alphas, folds)  # checks them
        self.alphas, self.folds = tuple(float(a) for a in alphas), folds
        edges = num_edges(hr_nodes)
        self.register_buffer('neighbour_index',
                             torch.zeros(hr_nodes, neighbours, dtype=torch.long))
        self.register_buffer('weight', torch.zeros(edges, neighbours ** 2))
        self.register_buffer('bias', torch.zeros(edges))
        self.register_buffer('hr_diagonal', torch.zeros(hr_nodes))
        self.register_buffer('alpha', torch.zeros(()))

    def reset_parameters(self):
        """Forgets the fit: the prediction is zero again."""
        for buffer in (self.neighbour_index, self.weight, self.bias,
                       self.hr_diagonal, self.alpha):
            buffer.zero_()

    def _blocks(self, edges: Optional[Tensor] = None
                ) -> Iterator[Tuple[Tensor, Tensor, Tensor]]:
        r"""``(edge, rows, cols)``: HR edges (positions in the strict upper
        triangle; all of them, or ``edges``) in blocks, with the LR
        neighbours ``[q, k]`` of both their ends."""
        row, col = torch.triu_indices(self.hr_nodes, self.hr_nodes, 1,
                                      device=self.neighbour_index.device)
        if edges is None:
            edges = torch.arange(row.numel(), device=row.device)
        for edge in edges.split(EDGE_BLOCK):
            yield (edge, self.neighbour_index[row[edge]],
                   self.neighbour_index[col[edge]])

    @staticmethod
    def _features(lr_adj: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
        r"""``[S, q, k * k]``: the LR edges between the neighbours of each
        HR edge's ends."""
        return lr_adj[:, rows[:, :, None], cols[:, None, :]].flatten(2)

    @torch.no_grad()
    def fit(self, lr_adj: Tensor, hr_adj: Tensor, seed: int = 0,
            groups: Optional[Tensor] = None) -> 'LocalRidgeMap':
        r"""Chooses the neighbours and fits every HR edge (on the CPU in
        float64; stored in this module's dtype and on its device).

        Args:
            lr_adj (Tensor): ``[S, N_l, N_l]`` training LR connectomes,
                ``S >= 2``.
            hr_adj (Tensor): ``[S, N_h, N_h]`` training HR connectomes.
            seed (int): seeds the assignment of subjects to the folds.
            groups (Tensor, optional): ``[S]`` group numbers; a fold holds
                a group whole. (default: each subject its own)
        """
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes)
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes)
        num_subjects = lr_adj.size(0)
        if hr_adj.size(0) != num_subjects:
            raise ValueError(f"lr_adj holds {num_subjects} subjects but hr_adj "
                             f"holds {hr_adj.size(0)}")
        if num_subjects < 2:
            raise ValueError(f"LocalRidgeMap.fit needs at least 2 training "
                             f"subjects, got {num_subjects}")
        lr_adj, hr_adj = lr_adj.detach().cpu().double(), hr_adj.detach().cpu().double()
        device = self.weight.device
        self.to('cpu')
        self.neighbour_index.copy_(_strength_neighbours(lr_adj, hr_adj, self.neighbours))
        hr_edges = vectorize(hr_adj, 'triu')
        by_edge = lr_adj.permute(1, 2, 0).contiguous()  # [N_l, N_l, S]: a subject last
        alpha = self._cross_validate(by_edge, hr_edges, seed, groups)
        for edge, rows, cols in self._blocks():
            x = _by_edge_features(by_edge, rows, cols)
            weight, bias = next(_solve(_Moments.of(x, hr_edges[:, edge].T), [alpha]))
            self.weight[edge], self.bias[edge] = weight.to(self.weight), bias.to(self.bias)
        self.hr_diagonal.copy_(torch.diagonal(hr_adj, dim1=1, dim2=2).mean(0))
        self.alpha.fill_(alpha)
        return self.to(device)

    def _cross_validate(self, by_edge: Tensor, hr_edges: Tensor, seed: int,
                        groups: Optional[Tensor]) -> float:
        r"""The ``alphas`` value with the lowest mean squared error over
        ``folds``-fold cross-validation on :data:`CV_EDGES` HR edges drawn
        with ``seed`` (one alpha serves every edge), the folds keeping each
        of ``groups`` whole; ``by_edge`` ``[N_l, N_l, S]`` are the LR
        connectomes, ``hr_edges`` ``[S, Q]`` the HR strict upper triangles."""
        if len(self.alphas) == 1:
            return self.alphas[0]
        num_subjects = by_edge.size(-1)
        folds = fold_masks(num_subjects, self.folds, groups, seed)
        generator = torch.Generator().manual_seed(seed)
        # The edges are the seed's draws after the folds' permutation of the
        # subjects (the folds of earlier versions, drawn first).
        torch.randperm(num_subjects, generator=generator)
        edges = torch.randperm(self.weight.size(0), generator=generator)[:CV_EDGES]
        errors = torch.zeros(len(self.alphas), dtype=torch.float64)
        for edge, rows, cols in self._blocks(edges.sort().values):
            x = _by_edge_features(by_edge, rows, cols)
            y = hr_edges[:, edge].T  # [q, S]
            every = _Moments.of(x, y)
            for held_out in folds:
                held_x, held_y = x[..., held_out], y[:, held_out]
                # The training folds' moments: every sample's less the held-out ones'.
                train = every.without(_Moments.of(held_x, held_y))
                for k, (weight, bias) in enumerate(_solve(train, self.alphas)):
                    predicted = bias[:, None] + torch.einsum('qfs,qf->qs', held_x, weight)
                    errors[k] += (predicted - held_y).pow(2).sum()
        return self.alphas[int(errors.argmin())]

    def forward(self, lr_adj: Tensor) -> Tensor:
        r"""Predicts HR connectomes.

        Args:
            lr_adj (Tensor): ``[B, N_l, N_l]`` LR connectomes.

        Returns:
            Tensor: ``[B, N_h, N_h]``, in ``lr_adj``'s dtype.
        """
        lr = lr_adj.to(self.weight)
        hr_edges = torch.cat([
            self.bias[edge] + torch.einsum('bqf,qf->bq', self._features(lr, rows, cols),
                                           self.weight[edge])
            for edge, rows, cols in self._blocks()], dim=1)
        hr_adj = unvectorize(hr_edges, 'triu') + torch.diag(self.hr_diagonal)
        return hr_adj.to(lr_adj.dtype)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.lr_nodes}, {self.hr_nodes}, '
                f'neighbours={self.neighbours})')


def _strength_neighbours(lr_adj: Tensor, hr_adj: Tensor, k: int) -> Tensor:
    r"""``[N_h, k]``: for each HR node, the ``k`` LR nodes whose strengths
    correlate most with its strength across subjects."""
    def standardised(strength: Tensor) -> Tensor:
        centred = strength - strength.mean(0)
        return centred / centred.norm(dim=0).clamp_min(1e-12)
    correlation = standardised(hr_adj.sum(-1)).T @ standardised(lr_adj.sum(-1))
    return correlation.topk(k, dim=1).indices


def _by_edge_features(by_edge: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    r"""``[q, k * k, S]``: :meth:`LocalRidgeMap._features` of the LR
    connectomes ``by_edge`` ``[N_l, N_l, S]`` (a subject last), for the fit."""
    return by_edge[rows[:, :, None], cols[:, None, :]].flatten(1, 2)


class _Moments(NamedTuple):
    r"""Sums over ``n`` samples of features ``x`` ``[q, F, S]`` and targets
    ``y`` ``[q, S]``: ridge's sufficient statistics, which add over samples."""
    n: int
    x: Tensor  # [q, F] sum of x
    y: Tensor  # [q] sum of y
    xx: Tensor  # [q, F, F] sum of x x^T
    xy: Tensor  # [q, F] sum of x y

    @classmethod
    def of(cls, x: Tensor, y: Tensor) -> '_Moments':
        return cls(x.size(-1), x.sum(-1), y.sum(-1), x @ x.transpose(1, 2),
                   (x @ y[..., None])[..., 0])

    def without(self, part: '_Moments') -> '_Moments':
        r"""The moments of these samples less those of ``part`` of them."""
        return _Moments(self.n - part.n, self.x - part.x, self.y - part.y,
                        self.xx - part.xx, self.xy - part.xy)


def _solve(moments: _Moments, alphas: Sequence[float]) -> Iterator[Tuple[Tensor, Tensor]]:
    r"""Per-edge ridge solutions ``(weight [q, F], bias [q])`` on the raw
    features, one per alpha, solved on standardised features from their
    ``moments`` (one eigendecomposition serves several alphas)."""
    n = moments.n
    x_mean, y_mean = moments.x / n, moments.y / n
    # Centred second moments; their diagonal / n is each feature's variance.
    gram = moments.xx - n * x_mean[:, :, None] * x_mean[:, None, :]
    moment = moments.xy - n * x_mean * y_mean[:, None]
    x_scale = (torch.diagonal(gram, dim1=1, dim2=2) / n).clamp_min(0).sqrt()
    # A feature constant in training (a cleaned diagonal) gets weight 0.
    x_scale = x_scale.where(x_scale > 1e-8 * (1 + x_mean.abs()), torch.inf)
    gram = gram / (x_scale[:, :, None] * x_scale[:, None, :])
    moment = (moment / x_scale)[..., None]  # [q, F, 1]
    if len(alphas) == 1:
        identity = torch.eye(gram.size(-1), dtype=gram.dtype)
        solutions: Iterator[Tensor] = iter([torch.linalg.solve(gram + alphas[0] * identity,
                                                               moment)])
    else:
        eigvals, eigvecs = torch.linalg.eigh(gram)
        projected = eigvecs.transpose(1, 2) @ moment
        solutions = (eigvecs @ (projected / (eigvals.clamp_min(0) + alpha)[..., None])
                     for alpha in alphas)
    for coef in solutions:
        weight = coef[..., 0] / x_scale
        yield weight, y_mean - (x_mean * weight).sum(-1)
