import pytest
import torch

from torch_gsr.baselines import MeanHR, RidgeRegression
from torch_gsr.metrics import evaluate_predictions
from torch_gsr.utils.groups import held_out_parts


def symmetric_batch(num_subjects, num_nodes, generator):
    adj = torch.rand(num_subjects, num_nodes, num_nodes, generator=generator)
    return (adj + adj.transpose(1, 2)) / 2


def linear_problem(num_subjects=60, lr_nodes=10, hr_nodes=15, noise=0.05, seed=0):
    r"""HR edges = linear function of LR edges + intercept + noise."""
    generator = torch.Generator().manual_seed(seed)
    lr_adj = symmetric_batch(num_subjects, lr_nodes, generator)
    lr_row, lr_col = torch.triu_indices(lr_nodes, lr_nodes, 1)
    hr_row, hr_col = torch.triu_indices(hr_nodes, hr_nodes, 1)
    weights = 0.1 * torch.randn(lr_row.numel(), hr_row.numel(), generator=generator)
    hr_edges = (1.0 + lr_adj[:, lr_row, lr_col] @ weights
                + noise * torch.randn(num_subjects, hr_row.numel(), generator=generator))
    hr_adj = torch.zeros(num_subjects, hr_nodes, hr_nodes)
    hr_adj[:, hr_row, hr_col] = hr_edges
    hr_adj = hr_adj + hr_adj.transpose(1, 2)
    diagonal = torch.arange(hr_nodes)
    hr_adj[:, diagonal, diagonal] = torch.rand(num_subjects, hr_nodes,
                                               generator=generator)
    return lr_adj, hr_adj


def test_mean_hr_predicts_training_mean():
    lr_adj, hr_adj = linear_problem(num_subjects=8)
    model = MeanHR().fit(lr_adj, hr_adj)
    pred = model.predict(lr_adj[:3].double())
    assert pred.shape == (3, 15, 15) and pred.dtype == torch.float64
    expected = hr_adj.double().mean(0)
    for subject in pred:
        assert torch.equal(subject, expected)


def test_ridge_beats_mean_on_held_out_subjects():
    lr_adj, hr_adj = linear_problem()
    train, test = slice(0, 45), slice(45, 60)
    alphas = [1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0]
    ridge = RidgeRegression(alphas=alphas).fit(lr_adj[train], hr_adj[train])
    mean = MeanHR().fit(lr_adj[train], hr_adj[train])
    assert ridge.alpha_ in alphas
    assert ridge.cv_errors_.shape == (len(alphas),)
    assert ridge.cv_errors_[alphas.index(ridge.alpha_)] == ridge.cv_errors_.min()
    ridge_eval = evaluate_predictions(ridge.predict(lr_adj[test]), hr_adj[test])
    mean_eval = evaluate_predictions(mean.predict(lr_adj[test]), hr_adj[test])
    assert ridge_eval.summary['mse'][0] < 0.6 * mean_eval.summary['mse'][0]
    assert ridge_eval.summary['mae'][0] < mean_eval.summary['mae'][0]
    assert ridge_eval.summary['pcc'][0] > mean_eval.summary['pcc'][0]


def test_ridge_prediction_layout():
    lr_adj, hr_adj = linear_problem(num_subjects=20)
    ridge = RidgeRegression(alphas=[1.0]).fit(lr_adj, hr_adj)
    assert ridge.solver_ == 'dual'  # 20 subjects < 45 LR edges
    assert ridge.cv_errors_ is None
    pred = ridge.predict(lr_adj[:4])
    assert pred.shape == (4, 15, 15) and pred.dtype == torch.float32
    assert torch.equal(pred, pred.transpose(1, 2))
    diagonal = torch.diagonal(pred, dim1=1, dim2=2)
    expected = torch.diagonal(hr_adj, dim1=1, dim2=2).mean(0)
    assert torch.allclose(diagonal, expected.expand(4, -1))


def test_ridge_recovers_noise_free_map_with_intercept():
    # With more subjects than features the primal is used; a tiny alpha then
    # reproduces an exactly linear map, intercept included.
    lr_adj, hr_adj = linear_problem(num_subjects=80, lr_nodes=6, hr_nodes=7,
                                    noise=0.0)
    ridge = RidgeRegression(alphas=[1e-9]).fit(lr_adj[:60], hr_adj[:60])
    assert ridge.solver_ == 'primal'  # 60 subjects >= 15 LR edges
    pred = ridge.predict(lr_adj[60:].double())
    row, col = torch.triu_indices(7, 7, 1)
    assert torch.allclose(pred[:, row, col], hr_adj[60:, row, col].double(),
                          atol=1e-6)


@pytest.mark.parametrize('alphas', [[0.5], [1e-2, 1.0, 10.0]])
def test_dual_and_primal_agree(alphas):
    lr_adj, hr_adj = linear_problem(num_subjects=30)
    dual = RidgeRegression(alphas=alphas, solver='dual').fit(lr_adj[:25], hr_adj[:25])
    primal = RidgeRegression(alphas=alphas, solver='primal').fit(lr_adj[:25],
                                                                 hr_adj[:25])
    assert dual.solver_ == 'dual' and primal.solver_ == 'primal'
    assert dual.alpha_ == primal.alpha_
    if len(alphas) > 1:
        assert torch.allclose(dual.cv_errors_, primal.cv_errors_)
    lr_test = lr_adj[25:].double()
    assert torch.allclose(dual.predict(lr_test), primal.predict(lr_test), atol=1e-8)


@pytest.mark.parametrize('solver', ['dual', 'primal'])
def test_cv_errors_are_the_held_out_errors_of_each_alpha(solver):
    # The definition: per fold and alpha, a ridge fitted on the rest
    # predicts the held-out subjects.
    lr_adj, hr_adj = linear_problem(num_subjects=30)
    alphas = [1e-2, 1.0, 10.0]
    ridge = RidgeRegression(alphas, folds=3, solver=solver).fit(lr_adj, hr_adj)
    row, col = torch.triu_indices(15, 15, 1)
    expected = torch.zeros(len(alphas), dtype=torch.float64)
    for held_out in held_out_parts(torch.arange(30), 3, seed=0):
        target = hr_adj[held_out][:, row, col].double()
        for k, alpha in enumerate(alphas):
            fold = RidgeRegression([alpha], solver=solver).fit(lr_adj[~held_out],
                                                               hr_adj[~held_out])
            predicted = fold.predict(lr_adj[held_out].double())[:, row, col]
            expected[k] += (predicted - target).pow(2).sum()
    assert torch.allclose(ridge.cv_errors_, expected / (30 * row.numel()),
                          rtol=1e-10, atol=0)


def test_alpha_choice_uses_training_data_only():
    lr_adj, hr_adj = linear_problem()
    a = RidgeRegression(alphas=[1e-2, 1.0, 100.0]).fit(lr_adj[:40], hr_adj[:40])
    b = RidgeRegression(alphas=[1e-2, 1.0, 100.0]).fit(lr_adj[:40], hr_adj[:40])
    # Deterministic folds; predicting test subjects does not refit anything.
    assert torch.equal(a.cv_errors_, b.cv_errors_)
    before = a.predict(lr_adj[40:])
    a.predict(lr_adj[:10])
    assert torch.equal(a.predict(lr_adj[40:]), before)


def test_bad_inputs_raise():
    lr_adj, hr_adj = linear_problem(num_subjects=6)
    with pytest.raises(ValueError, match='6 subjects.*5'):
        MeanHR().fit(lr_adj, hr_adj[:5])
    with pytest.raises(RuntimeError, match='not fitted'):
        RidgeRegression().predict(lr_adj)
    ridge = RidgeRegression(alphas=[1.0]).fit(lr_adj, hr_adj)
    with pytest.raises(ValueError, match='lr_adj has 9 nodes but 10'):
        ridge.predict(torch.rand(2, 9, 9))
    bad = lr_adj.clone()
    bad[3, 0, 1] = float('nan')
    with pytest.raises(ValueError, match='lr_adj.*subject index 3'):
        RidgeRegression().fit(bad, hr_adj)
    asymmetric = hr_adj.clone()
    asymmetric[1, 0, 2] += 1
    with pytest.raises(ValueError, match='hr_adj.*subject index 1.*not symmetric'):
        MeanHR().fit(lr_adj, asymmetric)
    with pytest.raises(ValueError, match='2 training subjects'):
        RidgeRegression().fit(lr_adj[:1], hr_adj[:1])
    with pytest.raises(ValueError, match='alphas'):
        RidgeRegression(alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match='folds'):
        RidgeRegression(folds=1)
    with pytest.raises(ValueError, match='solver'):
        RidgeRegression(solver='svd')
