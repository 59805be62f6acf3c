import math

import pytest
import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.datasets import synthetic_connectomes
from torch_gsr.nn import MODELS, EnsembleGSR, LocalRidgeMap, NodeMapGSR, RidgeMap, build_model
from torch_gsr.train import fit, load_checkpoint, predict
from torch_gsr.utils.simplex import best_simplex_weights, simplex_grid
from torch_gsr.utils.vectorize import vectorize

LR, HR = 12, 20


@pytest.fixture(scope='module')
def data():
    lr, hr = synthetic_connectomes(120, LR, HR, seed=5)
    lr, hr = torch.from_numpy(lr), torch.from_numpy(hr)
    return dict(train=(lr[:60], hr[:60]), val=(lr[60:90], hr[60:90]),
                test=(lr[90:], hr[90:]))


@pytest.fixture(scope='module')
def trained(data):
    torch.manual_seed(0)
    model = EnsembleGSR(LR, HR, members=('NodeMapGSR',), weight_grid=10)
    fit(model, data['train'], val_dataset=data['val'], epochs=15, progress=False)
    model.after_fit(*data['val'])
    return model


def mae(pred, hr):
    return float((vectorize(pred, 'triu') - vectorize(hr, 'triu')).abs().mean())


def coverage(lower, upper, hr):
    lower, upper, hr = (vectorize(a, 'triu') for a in (lower, upper, hr))
    return float(((hr >= lower) & (hr <= upper)).double().mean())


def test_registered_and_rebuilt_from_its_config(trained, data):
    assert MODELS['EnsembleGSR'] is EnsembleGSR
    config = trained.get_config()
    assert config['members'] == ('NodeMapGSR',) and config['ridge'] is True
    assert config['interval_scale'] == 'spread' and config['member_preset'] == 'recommended'
    rebuilt = build_model(config)
    rebuilt.load_state_dict(trained.state_dict())
    torch.testing.assert_close(predict(rebuilt, data['test'][0]),
                               predict(trained, data['test'][0]))
    torch.testing.assert_close(rebuilt.predict_intervals(data['test'][0]),
                               trained.predict_intervals(data['test'][0]))
    assert set(trained.derived_state_keys()) <= set(trained.state_dict())
    assert {'ridge.dual_coef', 'local_ridge.weight'} <= set(trained.derived_state_keys())


def test_a_member_starts_as_the_same_model_alone(data):
    torch.manual_seed(0)
    alone = NodeMapGSR(LR, HR, ridge_blend=False)
    torch.manual_seed(0)
    ensemble = EnsembleGSR(LR, HR, members=('NodeMapGSR', 'GSRNet'))
    assert torch.equal(alone.node_map.weight, ensemble.models[0].node_map.weight)


def test_members_without_their_own_ridge_blend():
    model = EnsembleGSR(LR, HR, members=('NodeMapGSR', 'NodeMapGSR', 'GSRNet'))
    assert all(getattr(m, 'ridge_blend', None) is None for m in model.models)
    assert model.num_members == 5
    torch.testing.assert_close(model.weights, torch.full((5,), 0.2))
    # Listed twice: two members initialised differently.
    assert not torch.equal(model.models[0].node_map.weight,
                           model.models[1].node_map.weight)
    assert 'NodeMapGSR, NodeMapGSR, GSRNet, RidgeMap, LocalRidgeMap' in repr(model)


def test_members_with_options(data):
    torch.manual_seed(0)
    model = EnsembleGSR(LR, HR, members=(('NodeMapGSR', {'softmax_map': False}),
                                         'NodeMapGSR'))
    plain, softmax = model.models
    assert not plain.node_map.softmax and softmax.node_map.softmax
    assert plain.ridge_blend is None and softmax.ridge_blend is None
    assert model.member_names == ['NodeMapGSR(softmax_map=False)', 'NodeMapGSR']
    assert 'NodeMapGSR(softmax_map=False), NodeMapGSR, RidgeMap' in repr(model)
    rebuilt = build_model(model.get_config())
    rebuilt.load_state_dict(model.state_dict())
    assert not rebuilt.models[0].node_map.softmax
    torch.testing.assert_close(rebuilt(data['test'][0]).hr_adj, model(data['test'][0]).hr_adj)
    with pytest.raises(TypeError, match='a member must be a model name or a'):
        EnsembleGSR(LR, HR, members=(('NodeMapGSR', 'softmax_map'),))
    with pytest.raises(TypeError, match='unknown model option'):
        EnsembleGSR(LR, HR, members=(('NodeMapGSR', {'no_such_option': 1}),))


def test_loss_sums_the_members_and_watches_the_best_one(data):
    torch.manual_seed(0)
    model = EnsembleGSR(LR, HR, members=('NodeMapGSR', 'GSRNet'))
    model.initialize(*data['train'])
    lr, hr = data['val'][0][:4], data['val'][1][:4]
    out = model(lr)
    loss = model.loss(out, hr)
    parts = [m.loss(m(lr), hr) for m in model.models]
    torch.testing.assert_close(loss.total, parts[0].total + parts[1].total)
    torch.testing.assert_close(loss.hr, torch.minimum(parts[0].hr, parts[1].hr))
    torch.testing.assert_close(loss.eig, parts[0].eig + parts[1].eig)
    assert out.members.shape == (4, 4, HR, HR)
    torch.testing.assert_close(out.members[2], model.ridge(lr))
    torch.testing.assert_close(out.members[3], model.local_ridge(lr))
    torch.testing.assert_close(out.hr_adj, out.members.mean(0))


def test_best_weights_follow_the_better_member():
    target = torch.linspace(0, 1, 50, dtype=torch.float64)
    noise = torch.sin(torch.arange(50.)).double()
    members = torch.stack([target + noise, target + 0.1 * noise, target + 0.5])
    assert best_simplex_weights(members, target, 10).tolist() == [0., 1., 0.]
    # Opposite errors cancel half and half.
    opposite = torch.stack([target + noise, target - noise])
    assert best_simplex_weights(opposite, target, 10).tolist() == [0.5, 0.5]
    grid = list(simplex_grid(20, 3))
    assert len(grid) == 231 == len(set(grid)) and all(sum(c) == 20 for c in grid)
    assert {(20, 0, 0), (0, 20, 0), (0, 0, 20)} <= set(grid)


@torch.no_grad()
def test_validation_weights_beat_every_member_on_validation(trained, data):
    out = trained(data['val'][0])
    ensemble = mae(out.hr_adj, data['val'][1])
    members = [mae(pred, data['val'][1]) for pred in out.members]
    assert ensemble <= min(members) + 1e-7
    assert math.isclose(float(trained.weights.sum()), 1.0, rel_tol=1e-6)


def test_ridge_alone_is_ridge_regression(data):
    model = EnsembleGSR(LR, HR, members=(), ridge=True, local_ridge=False)
    model.initialize(*data['train'])
    weights = model.after_fit(*data['val'])
    assert weights == {'weight_0_RidgeMap': 1.0}
    expected = RidgeRegression(solver='dual').fit(*data['train']).predict(data['test'][0])
    torch.testing.assert_close(model(data['test'][0]).hr_adj, expected.float(),
                               atol=1e-5, rtol=1e-4)


def test_closed_form_members_refit_on_every_training_sample(data):
    lr = torch.cat([data['train'][0], data['val'][0]])
    hr = torch.cat([data['train'][1], data['val'][1]])
    fitted = {}
    for refit_maps in (True, False):
        torch.manual_seed(0)
        model = EnsembleGSR(LR, HR, members=('NodeMapGSR',), weight_grid=10,
                            refit_maps=refit_maps)
        fit(model, (lr, hr), epochs=2, val_fraction=0.25, progress=False)
        fitted[refit_maps] = model
    test = data['test'][0]
    alone = [RidgeMap(LR, HR).fit(lr, hr), LocalRidgeMap(LR, HR, 8).fit(lr, hr)]
    for member, own in zip(fitted[True].closed_form_members(), alone, strict=True):
        assert torch.equal(member(test), own(test))
    # Without refit_maps they keep their fit on the training part.
    for member, own in zip(fitted[False].closed_form_members(), alone, strict=True):
        assert not torch.allclose(member(test), own(test))
    # The weights and intervals were chosen before the refit: the same, and
    # so is a recalibration, on after_fit's predictions.
    assert torch.equal(fitted[True].weights, fitted[False].weights)
    for model in fitted.values():
        model.interval_scale = 'edge_std'
    assert torch.equal(fitted[True].intervals.quantiles, fitted[False].intervals.quantiles)
    # after_fit again on fit's validation samples would use refitted members.
    with pytest.warns(UserWarning, match='after_fit after refit'):
        fitted[True].after_fit(*data['val'])


def test_bad_options():
    with pytest.raises(ValueError, match='members'):
        EnsembleGSR(LR, HR, members=('NoSuchModel',))
    with pytest.raises(ValueError, match='nothing to combine'):
        EnsembleGSR(LR, HR, members=(), ridge=False, local_ridge=False)
    with pytest.raises(ValueError, match='neighbours'):
        EnsembleGSR(LR, HR, neighbours=0)
    with pytest.raises(TypeError, match='members'):
        EnsembleGSR(LR, HR, members='GSRNet')
    with pytest.raises(ValueError, match='members'):
        EnsembleGSR(LR, HR, members=('EnsembleGSR',))
    with pytest.raises(TypeError, match='unknown keys'):
        build_model(dict(EnsembleGSR(LR, HR, members=()).get_config(), extra=1))
    with pytest.raises(ValueError, match='interval_scale'):
        EnsembleGSR(LR, HR, interval_scale='wide')
    with pytest.raises(ValueError, match='weight_grid'):
        EnsembleGSR(LR, HR, weight_grid=0)


def test_held_out_coverage_of_90_percent_intervals(trained, data):
    lower, upper = trained.predict_intervals(data['test'][0], coverage=0.9)
    assert bool((lower <= upper).all())
    held_out = coverage(lower, upper, data['test'][1])
    assert 0.85 <= held_out <= 0.97
    wider = coverage(*trained.predict_intervals(data['test'][0], 0.97), data['test'][1])
    assert wider > held_out


@pytest.mark.parametrize('scale', ['ridge_residual', 'edge_std', 'constant'])
def test_held_out_coverage_with_the_other_scales(trained, data, scale):
    spread = trained.intervals.quantiles.clone()
    trained.interval_scale = scale  # recalibrates on after_fit's predictions
    try:
        assert not torch.equal(trained.intervals.quantiles, spread)
        held_out = coverage(*trained.predict_intervals(data['test'][0]), data['test'][1])
    finally:
        trained.interval_scale = 'spread'
    assert torch.equal(trained.intervals.quantiles, spread)
    assert 0.85 <= held_out <= 0.97


def test_a_lower_confidence_gives_narrower_intervals(trained, data):
    # The setter keeps the config and the calibration rule one: the pooled
    # quantile (0.5) is narrower than the 90% bound on the same subjects.
    default = trained.predict_intervals(data['test'][0])
    trained.interval_confidence = 0.5
    try:
        pooled = trained.predict_intervals(data['test'][0])
        assert trained.get_config()['interval_confidence'] == 0.5
        assert trained.intervals.confidence == 0.5
    finally:
        trained.interval_confidence = 0.9
    assert float((pooled[1] - pooled[0]).mean()) < float((default[1] - default[0]).mean())
    with pytest.raises(ValueError, match='interval_confidence'):
        trained.interval_confidence = 1.0
    assert trained.intervals.confidence == 0.9


def test_calibration_on_training_subjects_undercovers(data):
    # The mistake split conformal prevents: residuals of subjects the model
    # was fitted on are too small, so the intervals miss new subjects' edges.
    torch.manual_seed(0)
    model = EnsembleGSR(LR, HR, members=('NodeMapGSR',), weight_grid=10)
    fit(model, data['train'], val_dataset=data['val'], epochs=15, progress=False)
    model.weights.copy_(torch.tensor([0., 1., 0.]))  # ridge: fitted on the training subjects
    out = model(data['train'][0])
    model.intervals.calibrate(out.hr_adj, model.scale(out), data['train'][1])
    assert coverage(*model.predict_intervals(data['test'][0]), data['test'][1]) < 0.85


def test_node_map_is_unaffected():
    # The ensemble builds its NodeMapGSR members without a blend; the
    # registry's NodeMapGSR keeps its default.
    assert NodeMapGSR(LR, HR).ridge_blend is not None


def test_interval_figure(trained, data, tmp_path):
    from torch_gsr.interval_plot import plot_intervals
    lower, upper = trained.predict_intervals(data['test'][0][:1])
    prediction = predict(trained, data['test'][0][:1])[0]
    path = tmp_path / 'intervals.png'
    figure = plot_intervals(str(path), prediction, lower[0], upper[0],
                            hr_adj=data['test'][1][0], subject='s0', coverage=0.9)
    assert path.stat().st_size > 0 and len(figure.axes) == 6  # 3 panels, 3 colour bars
    assert 'inside' in figure.axes[2].get_title()
    with pytest.raises(ValueError, match='shape'):
        plot_intervals(str(path), prediction, lower[0][:3], upper[0])


def test_members_train_exactly_as_alone(data, tmp_path):
    torch.manual_seed(0)
    ensemble = EnsembleGSR(LR, HR, members=('NodeMapGSR', 'GSRNet'), weight_grid=10)
    alone = [NodeMapGSR(LR, HR, ridge_blend=False), MODELS['GSRNet'](LR, HR)]
    for model, member in zip(alone, ensemble.models, strict=True):
        model.load_state_dict(member.state_dict())
    path = str(tmp_path / 'ensemble.pt')
    history = fit(ensemble, data['train'], val_dataset=data['val'], epochs=6,
                  patience=2, stop_after=0., progress=False, checkpoint=path)
    for model, member, run in zip(alone, ensemble.models, history.members, strict=True):
        own = fit(model, data['train'], val_dataset=data['val'], epochs=6,
                  patience=2, stop_after=0., progress=False)
        untimed = [[{k: v for k, v in r.items() if k != 'time'} for r in h.records]
                   for h in (own, run)]
        assert untimed[0] == untimed[1] and own.best_epoch == run.best_epoch
        for (key, value), other in zip(model.state_dict().items(),
                                       member.state_dict().values(), strict=True):
            assert torch.equal(value, other), key
    assert len(history) == 0 and len(history.members) == 2
    assert set(history.after_fit) == {f'weight_{k}_{name}' for k, name in
                                      enumerate(ensemble.all_member_names)}
    # The checkpoint rebuilds the ensemble; a resume finishes to the same.
    loaded, saved = load_checkpoint(path)
    torch.testing.assert_close(predict(loaded, data['test'][0]),
                               predict(ensemble, data['test'][0]), rtol=0, atol=0)
    assert len(saved['history']['members']) == 2
    torch.manual_seed(1)
    again = EnsembleGSR(LR, HR, members=('NodeMapGSR', 'GSRNet'), weight_grid=10)
    fit(again, data['train'], val_dataset=data['val'], epochs=6, patience=2,
        stop_after=0., progress=False, resume=path)
    assert torch.equal(predict(again, data['test'][0]), predict(ensemble, data['test'][0]))
