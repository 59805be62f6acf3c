import pytest
import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.datasets import PairedConnectomes
from torch_gsr.nn import NodeMapGSR, RidgeBlend, RidgeMap, build_model
from torch_gsr.train import History, fit, predict
from torch_gsr.utils.vectorize import vectorize


@pytest.fixture
def linear_pairs(connectomes):
    r"""20 subjects whose HR edges are a noisy linear function of the LR
    ones (float64)."""
    lr = connectomes(20, 6, dtype=torch.float64)
    lift = torch.rand(6, 9, generator=torch.Generator().manual_seed(1),
                      dtype=torch.float64)
    hr = lift.T @ lr @ lift / 6 + 0.01 * connectomes(20, 9, seed=2,
                                                      dtype=torch.float64)
    return lr, hr


def test_ridge_map_is_the_ridge_baseline_as_a_module(linear_pairs):
    lr, hr = linear_pairs
    layer = RidgeMap(6, 9).double()
    assert torch.equal(layer(lr[:2]), torch.zeros(2, 9, 9, dtype=torch.float64))
    layer.fit(lr[:15], hr[:15])
    baseline = RidgeRegression(solver='dual').fit(lr[:15], hr[:15])
    out = layer(lr[15:])
    assert out.shape == (5, 9, 9) and layer.num_subjects == 15
    assert torch.allclose(out, baseline.predict(lr[15:]))
    assert torch.equal(out, out.transpose(1, 2))
    assert float(layer.alpha) == baseline.alpha_
    assert repr(layer) == 'RidgeMap(6, 9, subjects=15)'
    # float32 module, float32 input: the same numbers in float32.
    single = RidgeMap(6, 9).fit(lr[:15].float(), hr[:15].float())
    assert single(lr[15:].float()).dtype == torch.float32
    assert torch.allclose(single(lr[15:].float()).double(), out, atol=1e-5)


def test_ridge_map_state_loads_into_a_fresh_module_and_resets(linear_pairs):
    lr, hr = linear_pairs
    fitted = RidgeMap(6, 9).double().fit(lr[:12], hr[:12])
    fresh = RidgeMap(6, 9).double()
    fresh.load_state_dict(fitted.state_dict())
    assert fresh.num_subjects == 12
    assert torch.equal(fresh(lr[12:]), fitted(lr[12:]))
    fresh.reset_parameters()
    assert fresh.num_subjects == 0
    assert torch.equal(fresh(lr[:1]), torch.zeros(1, 9, 9, dtype=torch.float64))


def test_ridge_map_rejects_bad_input(connectomes):
    with pytest.raises(ValueError, match='alphas must be a non-empty'):
        RidgeMap(6, 9, alphas=[0.])
    with pytest.raises(ValueError, match='folds must be an int'):
        RidgeMap(6, 9, folds=1)
    with pytest.raises(ValueError, match='7 nodes but 6'):
        RidgeMap(6, 9).fit(connectomes(4, 7), connectomes(4, 9))
    with pytest.raises(ValueError, match='4 subjects but hr_adj has 3'):
        RidgeMap(6, 9).fit(connectomes(4, 6), connectomes(3, 9))
    with pytest.raises(ValueError, match='hr_nodes .*lr_nodes'):
        RidgeBlend(9, 6)


def _fitted_blend(lr, hr):
    blend = RidgeBlend(6, 9).double()
    blend.fit(lr[:12], hr[:12])
    return blend, blend.ridge(lr[12:])


def test_blend_calibrates_to_the_lowest_held_out_error(linear_pairs, connectomes):
    lr, hr = linear_pairs
    blend, ridge_hr = _fitted_blend(lr, hr)
    # A model as far off as ridge, in other directions.
    model_hr = hr[12:] + 0.02 * (connectomes(8, 9, seed=5, dtype=torch.float64) - 0.5)
    # The truth on one side: the weight goes to that side.
    assert blend.calibrate(lr[12:], model_hr, ridge_hr) == pytest.approx(1.)
    assert blend.calibrate(lr[12:], model_hr, model_hr) == pytest.approx(0.)
    # A truth between the two, 30% of the way to the ridge prediction.
    between = torch.lerp(model_hr, ridge_hr, 0.3)
    assert blend.calibrate(lr[12:], model_hr, between) == pytest.approx(0.3)
    # The real truth: the chosen weight has the lowest MAE of a fine grid.
    weight = blend.calibrate(lr[12:], model_hr, hr[12:])
    assert 0 < weight < 1
    assert torch.allclose(blend(lr[12:], model_hr),
                          torch.lerp(model_hr, ridge_hr, weight))

    def mae(w):
        blended = vectorize(torch.lerp(model_hr, ridge_hr, w), 'triu')
        return (blended - vectorize(hr[12:], 'triu')).abs().mean()
    assert all(mae(weight) <= mae(w) + 1e-12 for w in torch.linspace(0, 1, 201).tolist())


def test_blend_with_weight_zero_is_the_model_itself(linear_pairs):
    lr, hr = linear_pairs
    blend, _ = _fitted_blend(lr, hr)
    model_hr = hr[12:].clone().requires_grad_()
    assert blend(lr[12:], model_hr) is model_hr
    blend.weight.fill_(0.25)
    blend(lr[12:], model_hr).sum().backward()
    assert torch.allclose(model_hr.grad, torch.full_like(model_hr, 0.75))
    assert repr(blend) == 'RidgeBlend(6, 9, weight=0.25)'


def test_blend_rejects_bad_input(linear_pairs):
    lr, hr = linear_pairs
    with pytest.raises(RuntimeError, match='call fit'):
        RidgeBlend(6, 9).calibrate(lr[:3], hr[:3], hr[:3])
    blend, _ = _fitted_blend(lr, hr)
    with pytest.raises(ValueError, match='hr_adj holds 2 subjects but lr_adj holds 3'):
        blend.calibrate(lr[:3], hr[:3], hr[:2])
    with pytest.raises(ValueError, match='model_hr_adj .*10 nodes but 9'):
        blend.calibrate(lr[:3], torch.zeros(3, 10, 10, dtype=torch.float64), hr[:3])
    bad = hr[:3].clone()
    bad[1, 0, 2] = float('nan')
    with pytest.raises(ValueError, match='subject index 1.*NaN or inf'):
        blend.calibrate(lr[:3], hr[:3], bad)


def test_fit_calibrates_node_map_gsr_on_the_validation_subjects(linear_pairs):
    lr, hr = linear_pairs
    dataset = PairedConnectomes.from_numpy(lr.float().numpy(), hr.float().numpy())
    torch.manual_seed(0)
    model = NodeMapGSR(6, 9)
    history = fit(model, dataset, epochs=3, val_fraction=0.25, seed=0,
                  progress=False)
    assert model.ridge_blend.ridge.num_subjects == 15  # validation excluded
    assert history.ridge_weight == float(model.ridge_blend.weight)
    assert 0 <= history.ridge_weight <= 1
    assert History.from_dict(history.to_dict()) == history
    # The prediction is the calibrated blend of the network and ridge.
    blended = predict(model, lr[:4].float())
    ridge_hr = model.ridge_blend.ridge(lr[:4].float())
    model.ridge_blend.weight.zero_()
    network = predict(model, lr[:4].float())
    assert torch.allclose(blended, torch.lerp(network, ridge_hr, history.ridge_weight),
                          atol=1e-6)
    # Without validation subjects there is nothing to calibrate on.
    history = fit(model, dataset, epochs=1, val_fraction=0, progress=False)
    assert history.ridge_weight is None and float(model.ridge_blend.weight) == 0


def test_node_map_gsr_without_blend_and_old_configs(connectomes):
    torch.manual_seed(0)
    plain = NodeMapGSR(6, 9, ridge_blend=False)
    assert plain.ridge_blend is None
    assert not any(key.startswith('ridge_blend') for key in plain.state_dict())
    assert plain.after_fit(connectomes(2, 6), connectomes(2, 9)) == {}
    assert plain.derived_state_keys() == []
    rebuilt = build_model(plain.get_config())
    rebuilt.load_state_dict(plain.state_dict())
    lr_adj = connectomes(2, 6)
    assert rebuilt.ridge_blend is None
    assert torch.equal(rebuilt(lr_adj).hr_adj, plain(lr_adj).hr_adj)
    config = plain.get_config()
    del config['ridge_blend']  # saved before the option existed: train migrates it
    with pytest.raises(TypeError, match=r"lacks \['ridge_blend'\]"):
        build_model(config)


def test_after_fit_is_the_calibration_fit_records(linear_pairs):
    # fit with explicit validation subjects records the weight it chose;
    # after_fit on the same subjects, from the same weights, chooses it again.
    lr, hr = linear_pairs
    lr, hr = lr.float(), hr.float()
    torch.manual_seed(0)
    model = NodeMapGSR(6, 9)
    history = fit(model, (lr[:14], hr[:14]), val_dataset=(lr[14:], hr[14:]),
                  epochs=3, seed=0, progress=False)
    assert history.ridge_weight is not None
    model.train()
    assert model.after_fit(lr[14:], hr[14:]) == {'ridge_weight': history.ridge_weight}
    assert model.training  # the mode is restored
    assert float(model.ridge_blend.weight) == history.ridge_weight


def test_derived_state_keys_are_what_initialize_refits(linear_pairs):
    lr, hr = linear_pairs
    torch.manual_seed(0)
    model = NodeMapGSR(6, 9).double()
    model.initialize(lr[:12], hr[:12])
    keys = model.derived_state_keys()
    assert keys == [f'ridge_blend.ridge.{name}' for name in (
        'train_edges', 'dual_coef', 'lr_edge_mean', 'hr_edge_mean', 'hr_diagonal', 'alpha')]
    state = model.state_dict()
    torch.manual_seed(1)
    fresh = NodeMapGSR(6, 9).double()
    fresh.load_state_dict({k: v for k, v in state.items() if k not in keys}, strict=False)
    fresh.initialize(lr[:12], hr[:12])
    for key in keys:
        assert torch.equal(fresh.state_dict()[key], state[key]), key
