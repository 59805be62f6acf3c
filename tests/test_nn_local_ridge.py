import pytest
import torch

from torch_gsr.baselines import MeanHR
from torch_gsr.datasets import wiring_connectomes
from torch_gsr.nn import LocalRidgeMap
from torch_gsr.utils.vectorize import vectorize


def nested(num_subjects=40, lr_nodes=6, seed=0):
    r"""LR connectomes and HR ones whose node ``i`` copies LR node
    ``i % lr_nodes`` (each LR node split in two), plus a little noise."""
    generator = torch.Generator().manual_seed(seed)
    lr = torch.rand(num_subjects, lr_nodes, lr_nodes, generator=generator)
    lr = (lr + lr.transpose(1, 2)) / 2
    parent = torch.arange(2 * lr_nodes) % lr_nodes
    hr = lr[:, parent][:, :, parent].clone()
    noise = 0.01 * torch.randn(hr.shape, generator=generator)
    return lr, hr + noise + noise.transpose(1, 2), parent


def mae(pred, hr):
    return float((vectorize(pred, 'triu') - vectorize(hr, 'triu')).abs().mean())


def test_finds_each_hr_node_s_lr_node_and_recovers_its_edges():
    lr, hr, parent = nested()
    model = LocalRidgeMap(6, 12, neighbours=2).fit(lr[:30], hr[:30])
    assert torch.equal(model.neighbour_index[:, 0], parent)
    assert mae(model(lr[30:]), hr[30:]) < 0.02 < 0.5 * mae(
        MeanHR().fit(lr[:30], hr[:30]).predict(lr[30:]), hr[30:])


def test_each_edge_is_ridge_on_its_standardised_neighbour_edges():
    # One HR edge solved by hand: (Z^T Z + alpha I) w = Z^T (y - mean y).
    lr, hr, _ = nested(num_subjects=25, seed=1)
    alpha = 3.0
    model = LocalRidgeMap(6, 12, neighbours=3, alphas=[alpha]).fit(lr[:20], hr[:20])
    i, j = 2, 9
    rows, cols = model.neighbour_index[i], model.neighbour_index[j]
    x = lr[:20][:, rows][:, :, cols].flatten(1).double()
    y = hr[:20, i, j].double()
    scale = x.std(0, unbiased=False)
    keep = scale > 1e-6
    z = (x[:, keep] - x[:, keep].mean(0)) / scale[keep]
    w = torch.linalg.solve(z.T @ z + alpha * torch.eye(int(keep.sum()), dtype=torch.float64),
                           z.T @ (y - y.mean()))
    x_new = lr[20:][:, rows][:, :, cols].flatten(1).double()[:, keep]
    expected = y.mean() + ((x_new - x[:, keep].mean(0)) / scale[keep]) @ w
    torch.testing.assert_close(model(lr[20:])[:, i, j].double(), expected,
                               atol=1e-5, rtol=1e-4)
    assert float(model.alpha) == alpha


def test_cross_validation_chooses_alpha_and_same_seed_same_fit():
    lr, hr = (torch.from_numpy(a) for a in wiring_connectomes(30, 10, 16, seed=2))
    first = LocalRidgeMap(10, 16, neighbours=3).fit(lr, hr, seed=4)
    again = LocalRidgeMap(10, 16, neighbours=3).fit(lr, hr, seed=4)
    assert float(first.alpha) in first.alphas
    assert torch.equal(first.weight, again.weight) and torch.equal(first.bias, again.bias)
    pred = first(lr[:3])
    assert pred.shape == (3, 16, 16) and torch.equal(pred, pred.transpose(1, 2))
    torch.testing.assert_close(torch.diagonal(pred, dim1=1, dim2=2),
                               hr.diagonal(dim1=1, dim2=2).mean(0).expand(3, 16))


def test_state_dict_round_trip_and_reset():
    lr, hr, _ = nested()
    model = LocalRidgeMap(6, 12, neighbours=2).fit(lr, hr)
    fresh = LocalRidgeMap(6, 12, neighbours=2)
    assert float(fresh(lr[:2]).abs().max()) == 0.
    fresh.load_state_dict(model.state_dict())
    torch.testing.assert_close(fresh(lr[:2]), model(lr[:2]))
    fresh.reset_parameters()
    assert float(fresh(lr[:2]).abs().max()) == 0.
    assert repr(model) == 'LocalRidgeMap(6, 12, neighbours=2)'


def test_bad_input():
    lr, hr, _ = nested()
    with pytest.raises(ValueError, match='neighbours must be at most lr_nodes'):
        LocalRidgeMap(6, 12, neighbours=7)
    with pytest.raises(ValueError, match='at least 2 training subjects'):
        LocalRidgeMap(6, 12, neighbours=2).fit(lr[:1], hr[:1])
    with pytest.raises(ValueError, match='hr_adj holds 3'):
        LocalRidgeMap(6, 12, neighbours=2).fit(lr[:4], hr[:3])
    with pytest.raises(ValueError, match='alphas'):
        LocalRidgeMap(6, 12, neighbours=2, alphas=[0.])
