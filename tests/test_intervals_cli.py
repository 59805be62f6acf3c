import numpy as np
import pytest
import torch

from torch_gsr.cli import main
from torch_gsr.datasets import synthetic_connectomes, write_numpy
from torch_gsr.nn import GSRLayerOnly
from torch_gsr.train import load_checkpoint, predict

FAST = ['--epochs', '2', '--batch-size', '4']


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('intervals')
    lr, hr = synthetic_connectomes(30, 8, 14, seed=2)
    paths = {name: str(root / f'{name}.npy') for name in ('lr', 'hr', 'test_lr')}
    write_numpy(paths['lr'], lr[:24])
    write_numpy(paths['hr'], hr[:24])
    write_numpy(paths['test_lr'], lr[24:])
    checkpoint = str(root / 'ensemble.pt')
    assert main(['train', '--lr', paths['lr'], '--hr', paths['hr'], '--model',
                 'EnsembleGSR', '--out', checkpoint, '--quiet'] + FAST) == 0
    return root, paths, checkpoint


def test_fit_calibrates_and_predict_returns_bounds(trained):
    _, paths, checkpoint = trained
    model, state = load_checkpoint(checkpoint)
    assert model.intervals.calibrated  # fit's after_fit, on its validation subjects
    assert 'weight_0_NodeMapGSR' in state['history']['after_fit']
    lr = torch.from_numpy(np.load(paths['test_lr']))
    pred, lower, upper = predict(model, lr, intervals=0.9, batch_size=4)
    torch.testing.assert_close(pred, predict(model, lr))
    assert bool((lower <= pred).all() and (pred <= upper).all())
    expected = model.predict_intervals(lr, coverage=0.9)
    torch.testing.assert_close((lower, upper), expected)
    with pytest.raises(TypeError, match='no prediction intervals'):
        predict(GSRLayerOnly(8, 14), lr, intervals=0.9)
    with pytest.raises(TypeError, match='GSRLayerOnly gives no prediction intervals'):
        GSRLayerOnly(8, 14).predict_intervals(lr)


def test_cli_writes_the_bounds_next_to_the_predictions(trained, capsys):
    root, paths, checkpoint = trained
    out = str(root / 'pred.npy')
    assert main(['predict', '--checkpoint', checkpoint, '--lr', paths['test_lr'],
                 '--out', out, '--intervals', '0.9', '--quiet']) == 0
    assert 'pred_lower.npy' in capsys.readouterr().out
    model, _ = load_checkpoint(checkpoint)
    lr = torch.from_numpy(np.load(paths['test_lr']))
    pred, lower, upper = predict(model, lr, intervals=0.9)
    np.testing.assert_allclose(np.load(out), pred.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.load(str(root / 'pred_lower.npy')), lower.numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.load(str(root / 'pred_upper.npy')), upper.numpy(), rtol=1e-6)


def test_cli_rejects_bad_intervals(trained, capsys):
    root, paths, checkpoint = trained
    with pytest.raises(SystemExit):
        main(['predict', '--checkpoint', checkpoint, '--lr', paths['test_lr'],
              '--intervals', '1.5'])
    assert 'coverage must be in (0, 1)' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(['predict', '--checkpoint', checkpoint, '--lr', paths['test_lr'],
              '--out', str(root / 'sub.csv'), '--submission', '--intervals', '0.9',
              '--quiet'])
    assert '--submission' in capsys.readouterr().err


def test_cv_trains_the_ensemble(trained):
    root, paths, _ = trained
    out = root / 'cv'
    assert main(['cv', '--lr', paths['lr'], '--hr', paths['hr'], '--models',
                 'EnsembleGSR', '--folds', '2', '--out', str(out), '--quiet'] + FAST) == 0
    model, _ = load_checkpoint(str(out / 'EnsembleGSR.pt'))
    assert model.intervals.calibrated
    assert '| EnsembleGSR |' in (out / 'results.md').read_text()
