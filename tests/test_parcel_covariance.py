import pytest
import torch

from torch_gsr.nn import EnsembleGSR, ParcelCovarianceMap, RidgeMap, build_model
from torch_gsr.train import fit, load_checkpoint, predict

HR_NODES, PAIRS = 12, torch.arange(12) // 2  # 6 LR regions, each two HR ones


def window_correlations(num_windows, length=40, seed=0, absolute=True):
    r"""HR and LR (pairs merged) correlation matrices of windows of
    Gaussian series driven by two shared factors whose strengths vary from
    window to window; ``absolute``: positive loadings, ``|Pearson|``."""
    generator = torch.Generator().manual_seed(seed)
    loadings = torch.randn(HR_NODES, 2, generator=torch.Generator().manual_seed(99))
    loadings = loadings.abs() if absolute else loadings
    strength = 0.2 + 2 * torch.rand(num_windows, 1, 2, generator=generator)
    factors = strength * torch.randn(num_windows, length, 2, generator=generator)
    series = factors @ loadings.T + torch.randn(num_windows, length, HR_NODES,
                                                generator=generator)
    merged = series.view(num_windows, length, HR_NODES // 2, 2).mean(-1)

    def correlation(x):
        x = x - x.mean(1, keepdim=True)
        x = x / x.norm(dim=1, keepdim=True)
        corr = x.transpose(1, 2) @ x
        return corr.abs() if absolute else corr
    return correlation(merged), correlation(series)


def mae(pred, target):
    row, col = torch.triu_indices(HR_NODES, HR_NODES, 1)
    return float((pred[:, row, col] - target[:, row, col]).abs().mean())


def test_merging_the_expected_covariance_gives_the_lr_covariance_back():
    lr_adj, hr_adj = window_correlations(60, absolute=False)
    model = ParcelCovarianceMap(PAIRS).double().fit(lr_adj, hr_adj)
    merge = model.weights.double()
    cov = model.covariance(lr_adj[:5].double())
    scale = model.lr_mean.diagonal().sqrt()
    assert torch.allclose(merge.T @ cov @ merge,
                          scale[:, None] * lr_adj[:5].double() * scale, atol=1e-10)


def test_the_training_mean_lr_gives_the_training_mean():
    lr_adj, hr_adj = window_correlations(60, absolute=False)
    model = ParcelCovarianceMap(PAIRS, residual_ridge=False).double().fit(lr_adj, hr_adj)
    lr_mean = model.lr_mean
    lr_corr = lr_mean / lr_mean.diagonal().sqrt()[:, None] / lr_mean.diagonal().sqrt()
    expected = hr_adj.double().mean(0)
    assert torch.allclose(model(lr_corr[None])[0], expected, atol=1e-10)


@pytest.mark.parametrize('absolute', [False, True])
def test_beats_the_training_mean_on_held_out_windows(absolute):
    lr_adj, hr_adj = window_correlations(300, absolute=absolute)
    model = ParcelCovarianceMap(PAIRS, residual_ridge=False).fit(lr_adj[:200], hr_adj[:200])
    assert bool(model.absolute_) == absolute  # found from the data
    pred = model(lr_adj[200:])
    assert pred.shape == (100, HR_NODES, HR_NODES) and pred.dtype == torch.float32
    assert torch.equal(pred, pred.transpose(1, 2))
    error = mae(pred, hr_adj[200:])
    assert error < 0.9 * mae(hr_adj[:200].mean(0).expand(100, -1, -1), hr_adj[200:])
    # The LR regions must be the merged pairs: a wrong map does worse.
    wrong = ParcelCovarianceMap(torch.arange(HR_NODES) % 6, residual_ridge=False)
    wrong.fit(lr_adj[:200], hr_adj[:200])
    assert mae(wrong(lr_adj[200:]), hr_adj[200:]) > 1.2 * error


def test_the_residual_ridge_is_ridge_on_the_training_residuals():
    lr_adj, hr_adj = window_correlations(80)
    model = ParcelCovarianceMap(PAIRS).fit(lr_adj[:60], hr_adj[:60], seed=3)
    expected = model.expected(lr_adj)
    ridge = RidgeMap(6, HR_NODES).fit(lr_adj[:60], hr_adj[:60] - expected[:60].double(),
                                      seed=3)
    assert torch.allclose(model(lr_adj[60:]), expected[60:] + ridge(lr_adj[60:]),
                          atol=1e-6)
    plain = ParcelCovarianceMap(PAIRS, residual_ridge=False).fit(lr_adj[:60], hr_adj[:60])
    assert torch.equal(plain(lr_adj), expected)


def test_weights_and_indices_and_state_dict_agree():
    lr_adj, hr_adj = window_correlations(50)
    by_index = ParcelCovarianceMap(PAIRS).fit(lr_adj, hr_adj)
    by_weight = ParcelCovarianceMap(2.5 * torch.nn.functional.one_hot(PAIRS).float())
    by_weight.fit(lr_adj, hr_adj)
    assert torch.allclose(by_index(lr_adj), by_weight(lr_adj), atol=1e-6)
    loaded = ParcelCovarianceMap(PAIRS)
    loaded.load_state_dict(by_index.state_dict())
    assert torch.equal(loaded(lr_adj), by_index(lr_adj))
    loaded.reset_parameters()
    assert not loaded(lr_adj).any()
    assert repr(by_index) == 'ParcelCovarianceMap(6, 12)'


def test_bad_parcels_and_inputs_raise():
    with pytest.raises(ValueError, match=r'empty LR regions: \[1\]'):
        ParcelCovarianceMap(torch.tensor([0, 0, 2, 2]))
    with pytest.raises(ValueError, match='numbe'):
        ParcelCovarianceMap(torch.tensor([0, -1]))
    with pytest.raises(TypeError, match='parcels must be'):
        ParcelCovarianceMap(torch.ones(2, 2, 2))
    lr_adj, hr_adj = window_correlations(10)
    with pytest.raises(ValueError, match='lr_adj has 12 nodes but 6'):
        ParcelCovarianceMap(PAIRS).fit(hr_adj, hr_adj)
    with pytest.raises(ValueError, match='singular'):  # two identical LR regions
        ParcelCovarianceMap(torch.ones(4, 2)).fit(torch.ones(3, 2, 2), torch.ones(3, 4, 4))


def test_ensemble_member_and_config():
    lr_adj, hr_adj = window_correlations(40)
    model = EnsembleGSR(6, HR_NODES, members=[], parcels=PAIRS.tolist())
    assert model.all_member_names == ['RidgeMap', 'LocalRidgeMap', 'ParcelCovarianceMap']
    assert model.num_members == 3
    model.initialize(lr_adj, hr_adj)
    expected = ParcelCovarianceMap(PAIRS).fit(lr_adj, hr_adj)(lr_adj)
    assert torch.equal(model.closed_form_members()[-1](lr_adj), expected)
    rebuilt = build_model(model.get_config())
    assert rebuilt.config.parcels == tuple(PAIRS.tolist())
    with pytest.raises(ValueError, match='each of the 12 HR regions one of the 6'):
        EnsembleGSR(6, HR_NODES, parcels=[0, 1, 2])


def test_ensemble_with_parcels_trains_saves_and_loads(tmp_path):
    lr_adj, hr_adj = window_correlations(40)
    torch.manual_seed(0)
    model = EnsembleGSR(6, HR_NODES, members=['NodeMapGSR'], parcels=PAIRS.tolist())
    path = str(tmp_path / 'ensemble.pt')
    fit(model, (lr_adj, hr_adj), epochs=1, progress=False, checkpoint=path)
    assert model.all_member_names[-1] == 'ParcelCovarianceMap'
    assert float(model.weights.sum()) == pytest.approx(1.)
    loaded, _ = load_checkpoint(path)
    assert loaded.config.parcels == tuple(PAIRS.tolist())
    assert torch.equal(predict(loaded, lr_adj[:3]), predict(model, lr_adj[:3]))
