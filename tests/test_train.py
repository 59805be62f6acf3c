import dataclasses
import importlib
import math
import os

import pytest
import torch

import torch_gsr.nn.base as model_base
import torch_gsr.nn.losses as nn_losses
import torch_gsr.train.loop as train_loop
import torch_gsr.train.tensors as train_tensors
from torch_gsr.config import FitConfig
from torch_gsr.datasets import PairedConnectomes
from torch_gsr.nn.models import GSRLayerOnly, GSRNet
from torch_gsr.train import (
    ConnectomeTensors,
    CVResult,
    History,
    NonFiniteLossError,
    cross_validate,
    evaluate,
    fit,
    kfold_indices,
    load_checkpoint,
    predict,
)

# The module (torch_gsr.utils.spectra is also the name of a function).
spectra_utils = importlib.import_module('torch_gsr.utils.spectra')
LR_NODES, HR_NODES, SUBJECTS = 8, 14, 12
QUIET = dict(progress=False, learning_rate=1e-3, batch_size=4)


pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def pairs(connectomes):
    r"""A learnable pair: HR is a fixed function of LR."""
    lr = connectomes(SUBJECTS, LR_NODES, seed=0)
    lift = torch.rand(LR_NODES, HR_NODES, generator=torch.Generator().manual_seed(1))
    hr = torch.sigmoid(lift.T @ lr @ lift / LR_NODES)
    hr.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return lr, hr


@pytest.fixture
def dataset(pairs):
    lr, hr = pairs
    return PairedConnectomes.from_numpy(
        lr.numpy(), hr.numpy(), subjects=[f's{i}' for i in range(len(lr))])


def new_model(seed=0, cls=GSRNet, **options):
    torch.manual_seed(seed)
    return cls(LR_NODES, HR_NODES, **options)


def same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def without_time(history):
    return [{k: v for k, v in r.items() if k != 'time'} for r in history.records]


def test_history_records_every_term_per_epoch(dataset):
    lines = []
    history = fit(new_model(), dataset, epochs=3, val_fraction=0.25,
                  **dict(QUIET, progress=lines.append))
    assert isinstance(history, History) and len(history) == 3
    assert history['epoch'] == [1, 2, 3]
    for name in ('total', 'hr', 'eig', 'rec'):
        for prefix in ('', 'val_'):
            values = history[prefix + name]
            assert len(values) == 3 and all(v >= 0 for v in values)
    assert all(r['time'] > 0 for r in history.records)
    for record in history.records:  # total = hr + eig + rec, per epoch
        assert record['total'] == pytest.approx(
            record['hr'] + record['eig'] + record['rec'], rel=1e-5)
    assert len(lines) == 3 and 'epoch 2' in lines[1] and 'val_hr=' in lines[1]


def test_loss_decreases_on_learnable_data(pairs):
    history = fit(new_model(), pairs, epochs=12, learning_rate=1e-2, batch_size=4,
                  progress=False)
    assert history['hr'][-1] < 0.1 * history['hr'][0]
    assert history['total'][-1] < history['total'][0]


@pytest.mark.parametrize('preset', ['paper', 'recommended'])
def test_spectra_are_not_computed_inside_steps(dataset, monkeypatch, preset):
    r"""The package's spectra (lower triangle) come from the cache, never
    from a step; the released generator (``paper``) computes its ``U0`` from
    the upper triangle in the forward pass, as released (issue 27)."""
    def forbidden(*args, **kwargs):
        raise AssertionError('eigendecomposition inside a training step')
    real, upper_calls = spectra_utils.lr_eigvecs, []

    def upper_only(lr_adj, upper=False):
        if not upper:
            forbidden()
        upper_calls.append(len(lr_adj))
        return real(lr_adj, upper=True)
    model = new_model(preset=preset)
    data = ConnectomeTensors.from_data(dataset).with_spectra()
    monkeypatch.setattr(spectra_utils, 'lr_eigvecs', upper_only)
    monkeypatch.setattr(nn_losses, 'compute_hr_eigvecs', forbidden)
    fit(model, data, epochs=1, val_fraction=0.25, **QUIET)
    assert predict(model, data).shape == (SUBJECTS, HR_NODES, HR_NODES)
    assert bool(upper_calls) == (preset == 'paper')


def test_lr_spectra_only_for_spectral_models(dataset, monkeypatch):
    calls = []
    original = train_tensors.spectra

    def recording(*args, **kwargs):
        calls.append(kwargs.get('lr', True))
        return original(*args, **kwargs)
    monkeypatch.setattr(train_tensors, 'spectra', recording)
    # No validation split: one prepare per fit.
    fit(new_model(preset='recommended'), dataset, epochs=1, val_fraction=0.,
        **QUIET)
    fit(new_model(preset='paper'), dataset, epochs=1, val_fraction=0.,
        **QUIET)
    assert calls == [False, True]


def test_bad_subjects_are_named_before_any_work():
    lr_adj = torch.rand(6, LR_NODES, LR_NODES)
    lr_adj = (lr_adj + lr_adj.transpose(-1, -2)) / 2
    hr_adj = torch.rand(6, HR_NODES, HR_NODES)
    hr_adj = (hr_adj + hr_adj.transpose(-1, -2)) / 2
    nan = lr_adj.clone()
    nan[4, 1, 2] = nan[4, 2, 1] = float('nan')
    with pytest.raises(ValueError, match=r"lr_adj \(subject '4'\).*NaN"):
        fit(new_model(), (nan, hr_adj), epochs=1, **QUIET)
    asym = hr_adj.clone()
    asym[5, 0, 1] += 1.
    with pytest.raises(ValueError, match=r"hr_adj \(subject '5'\).*not symmetric"):
        cross_validate(new_model, (lr_adj, asym), folds=2, epochs=1,
                       progress=False)
    signed = lr_adj.clone()
    signed[3] -= 2.
    with pytest.raises(ValueError, match='subject index 3.*negative'):
        predict(new_model(preset='paper'), signed)


def test_same_seed_same_numbers(dataset):
    runs = []
    for seed in (3, 3, 4):
        model = new_model(dropout=0.2)
        history = fit(model, dataset, epochs=3, seed=seed, **QUIET)
        runs.append((model, without_time(history)))
    assert same_state(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert not same_state(runs[0][0], runs[2][0])


def test_resume_equals_uninterrupted(dataset, tmp_path):
    # The half run plans 2 epochs, so its learning rates follow a cosine
    # over 2 epochs: a constant rate makes it the first half of the 4.
    options = dict(QUIET, seed=5, val_fraction=0.25, patience=10,
                   schedule='constant')
    straight = new_model(dropout=0.2)
    full = fit(straight, dataset, epochs=4, **options)

    fit(new_model(dropout=0.2), dataset, epochs=2,
        checkpoint=str(tmp_path / 'half.pt'), **options)
    resumed = new_model(seed=99, dropout=0.2)  # weights come from the file
    history = fit(resumed, dataset, epochs=4, resume=str(tmp_path / 'half.pt'),
                  **options)
    assert same_state(straight, resumed)
    assert without_time(history) == without_time(full)


def test_checkpoint_layout_and_load(dataset, tmp_path):
    path = tmp_path / 'run.pt'
    model = new_model()
    history = fit(model, dataset, epochs=2, checkpoint=str(path), **QUIET)
    assert os.listdir(tmp_path) == ['run.pt']  # no temporary file left
    loaded, checkpoint = load_checkpoint(str(path))
    assert type(loaded) is GSRNet and same_state(loaded, model)
    assert checkpoint['epoch'] == 2
    assert checkpoint['model_config'] == model.get_config()
    assert checkpoint['history']['records'] == history.to_dict()['records']
    assert {'optimizer_state', 'rng', 'fit_options'} <= set(checkpoint)
    assert checkpoint['fit_options']['learning_rate'] == 1e-3


def test_checkpoint_loads_the_returned_model_and_resumes_from_the_last_epoch(
        dataset, tmp_path, monkeypatch):
    from torch_gsr.train import loop

    def val_loss(model, data, batch_size):  # best at epoch 1, then worse
        return dict(val_total=0., val_hr=float(len(losses)), val_eig=0.,
                    val_rec=0.)
    losses = []
    original = loop._train_epoch

    def counted(*args):
        losses.append(1)
        return original(*args)
    monkeypatch.setattr(loop, '_validation_loss', val_loss)
    monkeypatch.setattr(loop, '_train_epoch', counted)
    path = str(tmp_path / 'run.pt')
    options = dict(QUIET, epochs=3, val_fraction=0.25, patience=5)
    model = new_model()
    history = fit(model, dataset, checkpoint=path, **options)
    assert history.best_epoch == 1 and len(history) == 3
    loaded, checkpoint = load_checkpoint(path)
    assert same_state(loaded, model)  # the best epoch's weights, as returned
    last = new_model()
    last.load_state_dict(checkpoint['model_state'])
    assert not same_state(last, model)  # resume continues from epoch 3
    losses.clear()
    again = new_model(seed=7)
    fit(again, dataset, checkpoint=path, resume=path, **options)
    assert losses == [] and same_state(again, model)


def test_checkpoint_holds_the_calibrated_ridge_blend(dataset, tmp_path):
    from torch_gsr.nn import NodeMapGSR
    path = str(tmp_path / 'node_map.pt')
    model = new_model(cls=NodeMapGSR)
    history = fit(model, dataset, epochs=2, val_fraction=0.25, checkpoint=path,
                  **QUIET)
    loaded, checkpoint = load_checkpoint(path)
    assert float(loaded.ridge_blend.weight) == history.ridge_weight
    assert checkpoint['history']['ridge_weight'] == history.ridge_weight
    assert torch.equal(predict(loaded, dataset), predict(model, dataset))


def test_failed_write_keeps_previous_checkpoint(dataset, tmp_path, monkeypatch):
    path = tmp_path / 'run.pt'
    fit(new_model(), dataset, epochs=1, checkpoint=str(path), **QUIET)
    before = path.read_bytes()

    def crash(obj, file, *args, **kwargs):
        with open(file, 'wb') as f:
            f.write(b'half a checkpoint')
        raise OSError('disk full')
    monkeypatch.setattr(torch, 'save', crash)
    with pytest.raises(OSError, match='disk full'):
        fit(new_model(), dataset, epochs=1, checkpoint=str(path), **QUIET)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['run.pt']


def test_nan_loss_names_epoch_and_subjects(dataset, pairs, tmp_path):
    path = tmp_path / 'run.pt'
    fit(new_model(), dataset, epochs=2, checkpoint=str(path), **QUIET)
    before = path.read_bytes()

    model = new_model()
    forward = model.forward
    poisoned = pairs[0][5]

    def nan_for_subject_5(lr_adj, lr_eigvecs=None, **kwargs):
        out = forward(lr_adj, lr_eigvecs, **kwargs)
        hit = (lr_adj == poisoned).flatten(1).all(dim=1)
        out.hr_adj = out.hr_adj.masked_fill(hit.view(-1, 1, 1), float('nan'))
        return out
    model.forward = nan_for_subject_5
    with pytest.raises(NonFiniteLossError, match=r"epoch 3.*'s5'") as info:
        fit(model, dataset, epochs=4, checkpoint=str(path), resume=str(path),
            **QUIET)
    assert info.value.epoch == 3 and 's5' in info.value.subjects
    assert len(info.value.subjects) <= 4
    assert isinstance(info.value, FloatingPointError)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['run.pt']


def test_early_stopping_restores_best_weights(dataset, monkeypatch):
    scripted = iter([3., 1., 2., 2., 2., 2., 2., 2.])

    def val_loss(model, data, batch_size):
        return dict(val_total=0., val_hr=next(scripted), val_eig=0., val_rec=0.)
    monkeypatch.setattr(train_loop, '_validation_loss', val_loss)
    states = []
    model = new_model()

    def snapshot(line):
        states.append({k: v.clone() for k, v in model.state_dict().items()})
    history = fit(model, dataset, epochs=8, val_fraction=0.25, patience=2,
                  **dict(QUIET, progress=snapshot))
    assert len(history) == 4 and history.stopped_early
    assert history.best_epoch == 2
    best, last = states[1], states[3]
    assert all(torch.equal(model.state_dict()[k], best[k]) for k in best)
    assert not all(torch.equal(best[k], last[k]) for k in best)


def test_clip_grad_norm_is_applied(dataset, monkeypatch):
    clip = torch.nn.utils.clip_grad_norm_
    norms = []

    def spy(parameters, max_norm, *args, **kwargs):
        parameters = list(parameters)
        clip(parameters, max_norm, *args, **kwargs)
        grads = [p.grad.flatten() for p in parameters if p.grad is not None]
        norms.append((float(torch.cat(grads).norm()), max_norm))
    monkeypatch.setattr(torch.nn.utils, 'clip_grad_norm_', spy)
    fit(new_model(), dataset, epochs=2, clip_grad_norm=1e-3, **QUIET)
    assert len(norms) == 2 * 3  # every step of 2 epochs of 3 batches
    assert all(norm <= max_norm * (1 + 1e-4) for norm, max_norm in norms)


def test_predict_shape_no_grad_and_mode(dataset, pairs):
    model = new_model(dropout=0.5)
    model.train()
    pred = predict(model, pairs[0], batch_size=5)
    assert pred.shape == (SUBJECTS, HR_NODES, HR_NODES)
    assert not pred.requires_grad and pred.device.type == 'cpu'
    assert model.training  # mode restored
    model.eval()
    with torch.no_grad():
        expected = model(pairs[0]).hr_adj
    torch.testing.assert_close(pred, expected)
    torch.testing.assert_close(predict(model, dataset), expected)
    assert predict(model, pairs[0][0]).shape == (1, HR_NODES, HR_NODES)


def test_evaluate_matches_metrics(dataset, pairs):
    model = new_model()
    evaluation = evaluate(model, dataset)
    mse = (predict(model, pairs[0]) - pairs[1]).pow(2)
    row, col = torch.triu_indices(HR_NODES, HR_NODES, 1)
    assert evaluation.num_subjects == SUBJECTS
    assert evaluation.summary['mse'][0] == pytest.approx(
        float(mse[:, row, col].mean()), rel=1e-5)


def test_cross_validate_folds_fresh_models_and_table(dataset, tmp_path):
    calls, initial = [], []

    def factory(cls):
        def build():
            model = cls(LR_NODES, HR_NODES)
            calls.append(cls.__name__)
            initial.append({k: v.clone() for k, v in model.state_dict().items()})
            return model
        return build
    result = cross_validate({'net': factory(GSRNet), 'layer': factory(GSRLayerOnly)},
                            dataset, folds=3, seed=1, epochs=2, batch_size=4,
                            learning_rate=1e-3, progress=False)
    assert isinstance(result, CVResult)
    assert calls.count('GSRNet') == 3 and calls.count('GSRLayerOnly') == 3
    net_inits = initial[0::2]
    assert not all(torch.equal(net_inits[0][k], net_inits[1][k]) for k in net_inits[0])

    tested = torch.cat(result.test_indices)
    assert sorted(tested.tolist()) == list(range(SUBJECTS))  # disjoint, complete
    assert result.methods == ['net', 'layer', 'MeanHR', 'RidgeRegression']
    for name in result.methods:
        assert len(result.evaluations[name]) == 3
        for index, pred in zip(result.test_indices, result.predictions[name], strict=True):
            assert pred.shape == (len(index), HR_NODES, HR_NODES)
    assert len({id(m) for m in result.models['net']}) == 3
    assert all(len(h) == 2 for h in result.histories['layer'])

    rows = result.table()
    assert [r['method'] for r in rows] == result.methods
    # residual PCC against each fold's training mean: none for the mean.
    assert rows[2]['residual_pcc_mean'] == 0
    assert -1 <= rows[3]['residual_pcc_mean'] <= 1
    for row in rows:
        for metric in ('mse', 'mae', 'pcc', 'jsd'):
            values = [e.summary[metric][0] for e in result.evaluations[row['method']]]
            assert row[f'{metric}_mean'] == pytest.approx(sum(values) / 3)
            assert row[f'{metric}_std'] >= 0
    assert rows[2]['beats_mean_hr'] == ''
    assert rows[0]['beats_mean_hr'] in ('yes', 'no')
    beats = result.beats_baseline('RidgeRegression')
    assert set(beats) == {'mae', 'pcc'}

    result.to_csv(str(tmp_path / 'table.csv'))
    result.to_markdown(str(tmp_path / 'table.md'))
    csv = (tmp_path / 'table.csv').read_text().splitlines()
    assert csv[0].startswith('method,mse_mean,mse_std') and len(csv) == 5
    markdown = (tmp_path / 'table.md').read_text()
    assert '| RidgeRegression |' in markdown and ' ± ' in markdown
    assert sorted(os.listdir(tmp_path)) == ['table.csv', 'table.md']


def test_cross_validate_is_reproducible(pairs):
    def run():
        return cross_validate(lambda: GSRLayerOnly(LR_NODES, HR_NODES), pairs,
                              folds=2, seed=7, epochs=1, baselines=False,
                              progress=False, batch_size=3)
    first, second = run(), run()
    assert first.methods == ['GSRLayerOnly']
    for a, b in zip(first.predictions['GSRLayerOnly'], second.predictions['GSRLayerOnly'],
                    strict=True):
        assert torch.equal(a, b)


def test_kfold_indices_bad_arguments():
    with pytest.raises(ValueError, match='folds must be an int >= 2'):
        kfold_indices(SUBJECTS, 1)
    with pytest.raises(ValueError, match='more than the 12 subjects'):
        kfold_indices(SUBJECTS, 13)


def test_bad_arguments(dataset, pairs, connectomes):
    lr, hr = pairs
    model = new_model()
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        fit(model, dataset, preset='nope', progress=False)
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        cross_validate(lambda: new_model(), dataset, preset='nope', progress=False)
    with pytest.raises(ValueError, match='12 subjects but hr_adj holds 11'):
        fit(model, (lr, hr[:11]), progress=False)
    with pytest.raises(ValueError, match='folds must be an int >= 2'):
        cross_validate(lambda: new_model(), dataset, folds=1, progress=False)
    with pytest.raises(ValueError, match='more than the 12 subjects'):
        cross_validate(lambda: new_model(), dataset, folds=13, progress=False)
    with pytest.raises(ValueError, match='patience .* needs validation data'):
        fit(model, dataset, patience=2, val_fraction=0., progress=False)
    with pytest.raises(ValueError, match=r'val_fraction must be in \[0, 1\)'):
        fit(model, dataset, val_fraction=1., progress=False)
    with pytest.raises(ValueError, match='epochs must be an int >= 1'):
        fit(model, dataset, epochs=0, progress=False)
    with pytest.raises(ValueError, match='expects 8 LR nodes but the data has 9'):
        fit(model, (connectomes(4, 9), hr[:4]), progress=False)
    with pytest.raises(ValueError, match='LR connectomes only'):
        fit(model, lr, progress=False)


def test_preset_defaults_and_overrides(dataset, monkeypatch):
    # GSRNet's presets (the GSR-Net family's own dict since issue 27).
    monkeypatch.setitem(GSRNet.fit_presets, 'tiny', FitConfig(
        learning_rate=1e-2, batch_size=5, epochs=2, updates=None, weight_decay=0.,
        val_fraction=0., patience=None, stop_after=0., schedule='constant'))
    history = fit(new_model(), dataset, preset='tiny', progress=False)
    assert len(history) == 2
    history = fit(new_model(), dataset, preset='tiny', epochs=1, progress=False)
    assert len(history) == 1


def test_values_are_checked_once_not_per_step(dataset, monkeypatch):
    checked = []
    original = model_base.check_adjacency

    def recording(adj, name='adj', **kwargs):
        checked.append(kwargs.get('values', True))
        return original(adj, name, **kwargs)
    # Every model checks its inputs and targets in the shared base.
    monkeypatch.setattr(model_base, 'check_adjacency', recording)
    fit(new_model(), dataset, epochs=2, **QUIET)
    predict(new_model(), dataset)
    # Values are checked once per fit, by the model's initialize() (the
    # training means, LR and HR), and never in a training or prediction step.
    assert len(checked) > 10 and checked.count(True) == 2


def test_options_are_the_fields_of_fit_config(dataset):
    from torch_gsr.config import FitConfig
    # lr, deprecated since 0.2, is gone: an unknown option names the valid ones.
    with pytest.raises(TypeError, match=r"unknown fit option\(s\) \['lr'\].*learning_rate"):
        fit(new_model(), dataset, epochs=1, lr=1e-3, progress=False)
    with pytest.raises(ValueError, match='learning_rate must be > 0'):
        fit(new_model(), dataset, epochs=1, learning_rate=0., progress=False)
    # A FitConfig, a preset name and keywords are one way each to say it.
    runs = []
    for config, options in ((FitConfig(epochs=2, batch_size=4), {}),
                            ('recommended', dict(epochs=2, batch_size=4)),
                            (None, dict(preset='recommended', epochs=2, batch_size=4))):
        torch.manual_seed(0)
        model = new_model()
        fit(model, dataset, config, progress=False, **options)
        runs.append(predict(model, dataset))
    assert torch.equal(runs[0], runs[1]) and torch.equal(runs[1], runs[2])
    with pytest.raises(ValueError, match='either config or preset'):
        fit(new_model(), dataset, 'paper', preset='paper', progress=False)


# --- adaptive defaults ------------------------------------------------------

def _dense(adj):
    """Dense, nearly uniform connectomes: every edge squeezed into
    ``[0.5, 0.75]`` (subjects differ by a few percent of an edge)."""
    dense = 0.5 + 0.25 * adj
    dense.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return dense


@pytest.fixture(scope='module', params=['synthetic', 'dense'])
def simulated_split(request):
    from torch_gsr.datasets import synthetic_connectomes
    lr, hr = synthetic_connectomes(60, 24, 40, seed=0)
    lr, hr = torch.from_numpy(lr), torch.from_numpy(hr)
    if request.param == 'dense':
        lr, hr = _dense(lr), _dense(hr)
    return (lr[:48], hr[:48]), (lr[48:], hr[48:])


def _test_scores(pred, train, test):
    from torch_gsr.metrics import evaluate_predictions
    evaluation = evaluate_predictions(pred, test[1], reference=train[1].mean(0))
    return {m: evaluation.summary[m][0] for m in ('mae', 'pcc', 'residual_pcc')}


def test_every_default_beats_the_mean_and_node_map_reaches_ridge(simulated_split):
    from torch_gsr.baselines import MeanHR, RidgeRegression
    from torch_gsr.nn import NodeMapGSR
    train, test = simulated_split
    mean, ridge = (_test_scores(cls().fit(*train).predict(test[0]), train, test)
                   for cls in (MeanHR, RidgeRegression))
    scores = {}
    for cls in (GSRNet, NodeMapGSR):
        torch.manual_seed(0)
        model = cls(24, 40)
        fit(model, PairedConnectomes.from_numpy(*train), seed=0, progress=False)
        scores[cls.__name__] = _test_scores(predict(model, test[0]), train, test)
    gsrnet = scores['GSRNet']
    assert gsrnet['mae'] <= 0.95 * mean['mae']
    assert gsrnet['pcc'] > mean['pcc']
    assert gsrnet['residual_pcc'] > 0.2  # subject-specific, not the mean
    assert scores['NodeMapGSR']['mae'] <= 1.05 * ridge['mae']
    assert scores['NodeMapGSR']['residual_pcc'] >= ridge['residual_pcc']


def test_history_records_the_adaptive_run(dataset):
    # 12 subjects: 1 held out, 11 train in 2 batches of 8 -> 10 epochs.
    history = fit(new_model(), dataset, updates=20, progress=False)
    assert history.val_subjects == 1
    assert history.planned_epochs == 10
    assert 1 <= history.best_epoch <= len(history) <= 10
    rates = history['learning_rate']
    assert rates[0] < 3e-3 and rates == sorted(rates, reverse=True)
    assert rates[-1] == pytest.approx(3e-3 * 0.5 * (1 + math.cos(math.pi * 19 / 20)))
    assert 'val_hr' in history.records[0]
    assert History.from_dict(history.to_dict()) == history


def test_paper_preset_trains_as_published(dataset):
    paper = dataclasses.asdict(GSRNet.fit_presets['paper'])
    assert (paper['learning_rate'], paper['batch_size'], paper['epochs']) == (1e-4, 1, 200)
    assert paper['val_fraction'] == 0 and paper['schedule'] == 'constant'
    history = fit(new_model(preset='paper'), dataset, preset='paper', epochs=2,
                  progress=False)
    assert history.val_subjects == 0 and history.best_epoch is None
    assert history['learning_rate'] == [1e-4, 1e-4]
    assert 'val_hr' not in history.records[0]


def test_preset_validation_is_skipped_when_it_cannot_be_spared(pairs):
    lr, hr = pairs
    history = fit(new_model(), (lr[:3], hr[:3]), epochs=1, progress=False)
    assert history.val_subjects == 0  # 10% of 3 rounds to 0
    with pytest.warns(UserWarning, match='near-copies'):  # they are training subjects
        history = fit(new_model(), dataset_of(lr, hr), epochs=1, progress=False,
                      val_dataset=(lr[:2], hr[:2]))
    assert history.val_subjects == 2


def dataset_of(lr, hr):
    return PairedConnectomes.from_numpy(lr.numpy(), hr.numpy())


def test_initialize_sees_the_training_subjects_only(dataset, monkeypatch, tmp_path):
    from torch_gsr.nn import NodeMapGSR
    seen = []
    original = NodeMapGSR.initialize

    def recording(self, lr_adj, hr_adj):
        seen.append(lr_adj.size(0))
        return original(self, lr_adj, hr_adj)
    monkeypatch.setattr(NodeMapGSR, 'initialize', recording)
    model = new_model(cls=NodeMapGSR)
    path = str(tmp_path / 'node_map.pt')
    fit(model, dataset, epochs=1, val_fraction=0.25, checkpoint=path, **QUIET)
    assert seen == [9]
    fit(new_model(cls=NodeMapGSR), dataset, epochs=2, val_fraction=0.25,
        resume=path, **QUIET)
    assert seen == [9]  # resuming keeps the checkpoint's means


def test_bad_adaptive_options(dataset):
    with pytest.raises(ValueError, match="schedule must be one of"):
        fit(new_model(), dataset, schedule='linear', progress=False)
    with pytest.raises(ValueError, match='updates must be an int'):
        fit(new_model(), dataset, updates=0, progress=False)
    with pytest.raises(ValueError, match='patience must be an int'):
        fit(new_model(), dataset, patience=0, progress=False)
    with pytest.raises(ValueError, match='either val_dataset or val_fraction'):
        fit(new_model(), dataset, val_dataset=dataset, val_fraction=0.5,
            progress=False)


def test_evaluate_reference_is_a_matrix_or_the_training_set(dataset, pairs):
    from torch_gsr.metrics import evaluate_predictions
    lr, hr = pairs
    model = new_model()
    fit(model, (lr[:8], hr[:8]), epochs=1, **QUIET)
    test = (lr[8:], hr[8:])
    from_matrix = evaluate(model, test, reference=hr[:8].double().mean(0))
    from_data = evaluate(model, test, reference=(lr[:8], hr[:8]))
    direct = evaluate_predictions(predict(model, lr[8:]), hr[8:],
                                  reference=hr[:8].mean(0))
    # The direct call's reference is float32, the others' float64.
    assert from_matrix.summary['residual_pcc'] == pytest.approx(
        direct.summary['residual_pcc'], rel=1e-5)
    assert from_data.summary == from_matrix.summary
    assert 'residual_pcc' not in evaluate(model, test).summary
    with pytest.raises(ValueError, match='LR connectomes only'):
        evaluate(model, test, reference=lr[:8])


def test_early_stopping_waits_for_stop_after(dataset, monkeypatch):
    def val_loss(model, data, batch_size):  # never improves after epoch 1
        return dict(val_total=0., val_hr=1., val_eig=0., val_rec=0.)
    monkeypatch.setattr(train_loop, '_validation_loss', val_loss)
    options = dict(epochs=8, val_fraction=0.25, patience=1, progress=False,
                   batch_size=4)
    assert len(fit(new_model(), dataset, **options)) == 4  # the preset's 0.5
    assert len(fit(new_model(), dataset, stop_after=0., **options)) == 2
    history = fit(new_model(), dataset, stop_after=1., **options)
    assert len(history) == 8 and history.best_epoch == 1
    with pytest.raises(ValueError, match='stop_after must be in'):
        fit(new_model(), dataset, stop_after=1.5, **options)


def test_early_stopping_ignores_the_warm_up_epochs(dataset, monkeypatch):
    epoch = []

    def val_loss(model, data, batch_size):  # best in epoch 3, then worse
        epoch.append(1)
        loss = [3., 2., 1., 5., 5., 5., 5., 5.][len(epoch) - 1]
        return dict(val_total=loss, val_hr=loss, val_eig=0., val_rec=0.)
    monkeypatch.setattr(train_loop, '_validation_loss', val_loss)
    options = dict(epochs=8, val_fraction=0.25, patience=1, progress=False,
                   batch_size=4, stop_after=0.)
    history = fit(new_model(), dataset, **options)
    assert len(history) == 4 and history.best_epoch == 3
    epoch.clear()
    # Epochs 1-3 unwatched: epoch 4 is the first best, epoch 5 the stop.
    history = fit(new_model(), dataset, warm_up=3, **options)
    assert len(history) == 5 and history.best_epoch == 4
    with pytest.raises(ValueError, match='warm_up must be an int'):
        fit(new_model(), dataset, warm_up=-1, **options)


def test_spectra_are_computed_only_for_models_that_read_them(pairs):
    from torch_gsr.nn import NodeMapGSR
    from torch_gsr.train.tensors import prepare
    lr, hr = pairs
    plain = prepare(NodeMapGSR(lr.size(-1), hr.size(-1)), (lr, hr), 'cpu')
    assert plain.lr_eigvecs is None and plain.hr_eigvecs is None
    spectral = prepare(new_model(), (lr, hr), 'cpu')
    assert spectral.hr_eigvecs is not None  # GSR-Net's eigen loss


def test_a_callback_of_ones_own_sees_every_epoch_and_can_stop(pairs):
    from torch_gsr.train import Callback

    class StopAtThree(Callback):
        def __init__(self):
            self.seen = []

        def on_epoch_end(self, run, record):
            self.seen.append((record['epoch'], 'val_hr' in record))
            if record['epoch'] == 3:  # set, never clear: early stopping may have
                run.stop = True

    lr, hr = pairs
    stopper = StopAtThree()
    history = fit(new_model(), dataset_of(lr, hr), epochs=8, progress=False,
                  val_fraction=0.25, callbacks=[stopper])
    assert stopper.seen == [(1, True), (2, True), (3, True)] and len(history) == 3
