import csv

import numpy as np
import pytest
import torch

from torch_gsr.cli import main
from torch_gsr.datasets import (
    detect_format,
    load_dataset,
    read_challenge_csv,
    read_challenge_mat,
    read_submission_csv,
    write_challenge_csv,
    write_numpy,
)
from torch_gsr.train import load_checkpoint, predict

SUBJECTS, LR_NODES, HR_NODES = 12, 8, 14
FAST = ['--epochs', '1', '--batch-size', '4']


@pytest.fixture
def numpy_pair(tmp_path, connectomes):
    lr, hr = tmp_path / 'lr.npy', tmp_path / 'hr.npy'
    write_numpy(str(lr), connectomes(SUBJECTS, LR_NODES, seed=1).numpy())
    write_numpy(str(hr), connectomes(SUBJECTS, HR_NODES, seed=2).numpy())
    return str(lr), str(hr)


@pytest.fixture
def checkpoint(tmp_path, numpy_pair):
    path = str(tmp_path / 'model.pt')
    assert main(['train', '--lr', numpy_pair[0], '--hr', numpy_pair[1],
                 '--model', 'GSRLayerOnly', '--out', path] + FAST) == 0
    return path


def test_train_writes_a_checkpoint_that_predicts(checkpoint, numpy_pair):
    model, state = load_checkpoint(checkpoint)
    assert type(model).__name__ == 'GSRLayerOnly'
    assert state['epoch'] == 1
    pred = predict(model, torch.from_numpy(np.load(numpy_pair[0])))
    assert pred.shape == (SUBJECTS, HR_NODES, HR_NODES)


@pytest.mark.parametrize('extension', ['.npy', '.npz'])
def test_predict_numpy_matches_predict(tmp_path, checkpoint, numpy_pair, extension):
    out = str(tmp_path / f'pred{extension}')
    assert main(['predict', '--checkpoint', checkpoint, '--lr', numpy_pair[0],
                 '--out', out]) == 0
    written = np.load(out)
    written = written if extension == '.npy' else written['hr']
    model, _ = load_checkpoint(checkpoint)
    expected = predict(model, torch.from_numpy(np.load(numpy_pair[0])))
    assert written.shape == (SUBJECTS, HR_NODES, HR_NODES)
    np.testing.assert_allclose(written, expected.numpy(), rtol=1e-6)


def test_predict_challenge_formats(tmp_path, monkeypatch, checkpoint, numpy_pair):
    lr_csv = str(tmp_path / 'lr_test.csv')
    write_challenge_csv(lr_csv, np.load(numpy_pair[0]))
    model, _ = load_checkpoint(checkpoint)
    expected = predict(model, load_dataset(lr_csv)).numpy()  # read and cleaned
    upper = np.triu_indices(HR_NODES, 1)

    monkeypatch.chdir(tmp_path)  # default output: hr_predictions.csv here
    assert main(['predict', '--checkpoint', checkpoint, '--lr', lr_csv]) == 0
    written = read_challenge_csv(str(tmp_path / 'hr_predictions.csv'))
    np.testing.assert_allclose(written[:, upper[0], upper[1]],
                               expected[:, upper[0], upper[1]], rtol=1e-5, atol=1e-7)

    out = str(tmp_path / 'pred.mat')
    assert main(['predict', '--checkpoint', checkpoint, '--lr', lr_csv, '--out', out]) == 0
    assert read_challenge_mat(out, 'HR').shape == (SUBJECTS, HR_NODES, HR_NODES)

    out = str(tmp_path / 'submission.csv')
    assert main(['predict', '--checkpoint', checkpoint, '--lr', lr_csv,
                 '--submission', '--out', out]) == 0
    submitted = read_submission_csv(out, HR_NODES)
    np.testing.assert_allclose(submitted[:, upper[0], upper[1]],
                               expected[:, upper[0], upper[1]], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('protocol', ['subject', 'challenge'])
def test_evaluate_writes_the_metrics(tmp_path, checkpoint, numpy_pair, protocol,
                                     capsys):
    out = str(tmp_path / 'metrics.csv')
    assert main(['evaluate', '--checkpoint', checkpoint, '--lr', numpy_pair[0],
                 '--hr', numpy_pair[1], '--protocol', protocol, '--out', out]) == 0
    with open(out) as f:
        rows = {row['metric']: row for row in csv.DictReader(f)}
    assert {'mae', 'pcc', 'jsd', 'residual_pcc'} <= set(rows)
    assert ('mse' in rows) == (protocol == 'subject')
    assert -1 <= float(rows['residual_pcc']['mean']) <= 1
    assert ('pagerank_mae' in rows) == (protocol == 'challenge')
    assert 0 < float(rows['mae']['mean']) < 1
    printed = capsys.readouterr().out
    assert 'mae,' in printed and 'residual_pcc,' in printed


def test_cv_writes_tables_checkpoints_and_figures(tmp_path, numpy_pair):
    out = tmp_path / 'cv'
    assert main(['cv', '--lr', numpy_pair[0], '--hr', numpy_pair[1], '--models',
                 'GSRNet', 'GSRLayerOnly', '--folds', '2', '--out', str(out)] + FAST) == 0
    with open(out / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    methods = ['GSRNet', 'GSRLayerOnly', 'MeanHR', 'RidgeRegression']
    assert [row['method'] for row in rows] == methods
    for row in rows:
        for metric in ('mse', 'mae', 'pcc', 'jsd'):
            assert np.isfinite(float(row[f'{metric}_mean']))
            assert float(row[f'{metric}_std']) >= 0
    markdown = (out / 'results.md').read_text()
    assert all(f'| {method} |' in markdown for method in methods)
    model, _ = load_checkpoint(str(out / 'GSRNet.pt'))
    assert predict(model, torch.from_numpy(np.load(numpy_pair[0]))).shape == \
        (SUBJECTS, HR_NODES, HR_NODES)
    assert not (out / 'checkpoints').exists()
    for name in ('fig2_subject.png', 'mse_bars.png', 'training_curves.png'):
        assert (out / name).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    again = tmp_path / 'again'
    assert main(['plot', '--from', str(out), '--out', str(again)]) == 0
    assert (again / 'mse_bars.png').stat().st_size > 0


def test_cv_topology_names_reach_every_method(tmp_path, numpy_pair):
    out = tmp_path / 'cv'
    assert main(['cv', '--lr', numpy_pair[0], '--hr', numpy_pair[1], '--models',
                 'GSRLayerOnly', '--folds', '2', '--topology', 'strength,degree',
                 '--out', str(out)] + FAST) == 0
    with open(out / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    assert [row['method'] for row in rows] == ['GSRLayerOnly', 'MeanHR', 'RidgeRegression']
    for row in rows:
        assert float(row['strength_mae_mean']) > 0
        assert np.isfinite(float(row['degree_mae_mean']))
        assert 'pagerank_mae_mean' not in row


def test_plot_from_checkpoints(tmp_path, checkpoint, numpy_pair):
    assert main(['plot', '--checkpoint', checkpoint, '--lr', numpy_pair[0],
                 '--hr', numpy_pair[1], '--out', str(tmp_path / 'figs')]) == 0
    assert (tmp_path / 'figs' / 'fig2_subject.png').stat().st_size > 0


def test_python_dash_m_help():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, '-m', 'torch_gsr', '--help'],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert all(cmd in done.stdout for cmd in ('train', 'cv', 'predict',
                                               'evaluate', 'plot'))


def _bad(tmp_path, numpy_pair, checkpoint, case):
    lr, hr = numpy_pair
    short_hr = str(tmp_path / 'short_hr.npy')
    write_numpy(short_hr, np.load(hr)[:5])
    return {
        'missing file': ['train', '--lr', str(tmp_path / 'nope.npy'), '--hr', hr],
        'unknown model': ['train', '--lr', lr, '--hr', hr, '--model', 'Nope'],
        'unknown format': ['train', '--lr', lr, '--hr', hr, '--format', 'xls'],
        'unknown extension': ['train', '--lr', str(tmp_path / 'lr.xls'), '--hr', hr],
        'subject counts differ': ['train', '--lr', lr, '--hr', short_hr] + FAST,
        'hr missing': ['train', '--lr', lr] + FAST,
        'nodes differ from checkpoint': ['predict', '--checkpoint', checkpoint,
                                         '--lr', hr],
        'bad epochs': ['train', '--epochs', '0'],
        'no plot source': ['plot'],
    }[case]


@pytest.mark.parametrize('case', [
    'missing file', 'unknown model', 'unknown format', 'unknown extension',
    'subject counts differ', 'hr missing', 'nodes differ from checkpoint',
    'bad epochs', 'no plot source'])
def test_bad_arguments_exit_2_with_one_line(tmp_path, numpy_pair, checkpoint,
                                            capsys, case):
    with pytest.raises(SystemExit) as exit_info:
        main(_bad(tmp_path, numpy_pair, checkpoint, case))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('torch-gsr') and 'error:' in err[-1]
    assert 'Traceback' not in '\n'.join(err)


def test_detect_format(tmp_path):
    assert detect_format(None) == 'synthetic'
    assert detect_format(str(tmp_path)) == 'slim'
    assert detect_format('a.NPZ', 'b.npy') == 'numpy'
    assert detect_format('a.csv', 'b.mat') == 'challenge'
    with pytest.raises(ValueError, match='different formats'):
        detect_format('a.csv', 'b.npy')


def test_load_dataset_synthetic_sizes():
    dataset = load_dataset(num_subjects=3, lr_nodes=LR_NODES, hr_nodes=HR_NODES)
    assert len(dataset) == 3
    assert dataset[0].hr_adj.shape[-1] == HR_NODES


def test_models_option_takes_spaces_commas_and_names_unknown_models(capsys):
    from torch_gsr.cli import build_parser
    parser = build_parser()
    args = parser.parse_args(['cv', '--models', 'GSRNet,AGSRNet', 'STPGSR'])
    assert args.models == ['GSRNet', 'AGSRNet', 'STPGSR']
    assert parser.parse_args(['cv']).models == ['GSRNet', 'NodeMapGSR']
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(['cv', '--models', 'GSRNet,Nope'])
    assert stop.value.code == 2
    assert "unknown model(s) ['Nope']" in capsys.readouterr().err


def test_evaluate_topology_names(tmp_path, checkpoint, numpy_pair, capsys):
    lr, hr = numpy_pair
    out = str(tmp_path / 'metrics.csv')
    assert main(['evaluate', '--checkpoint', checkpoint, '--lr', lr, '--hr', hr,
                 '--topology', 'strength,clustering', 'degree', '--out', out,
                 '--quiet']) == 0
    with open(out) as f:
        rows = {row['metric']: row for row in csv.DictReader(f)}
    assert {'strength_mae', 'clustering_mae', 'degree_mae'} <= set(rows)
    assert 'pagerank_mae' not in rows and float(rows['strength_mae']['mean']) > 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(['evaluate', '--checkpoint', checkpoint, '--lr', lr, '--hr', hr,
              '--topology', 'strength', 'nope'])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('torch-gsr evaluate: error: --topology: '
                              "unknown measure(s) ['nope']")
