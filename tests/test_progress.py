r"""One progress channel: a bar on a terminal, a line per step otherwise,
nothing with progress off or --quiet."""
import io
import sys

import pytest
import torch

from torch_gsr.cli import main
from torch_gsr.datasets import write_numpy
from torch_gsr.nn.models import GSRLayerOnly
from torch_gsr.train import ConnectomeTensors, fit
from torch_gsr.utils.progress import Progress
from torch_gsr.utils.spectra import spectra

LR_NODES, HR_NODES, SUBJECTS = 8, 14, 12


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def pairs(connectomes):
    return connectomes(SUBJECTS, LR_NODES, seed=1), connectomes(SUBJECTS, HR_NODES, seed=2)


def train(pairs, **options):
    torch.manual_seed(0)
    return fit(GSRLayerOnly(LR_NODES, HR_NODES), pairs, epochs=2, batch_size=4,
               **options)


def test_fit_writes_a_line_per_epoch_when_not_on_a_terminal(pairs, capsys):
    train(pairs)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert [line.split(':')[0] for line in lines] == [
        'spectra 1/1', 'epoch 1/2', 'epoch 2/2']  # a one-step phase: one line
    lines = lines[1:]
    assert 'total=' in lines[0] and '\r' not in captured.err
    assert captured.out == ''


def test_fit_draws_only_a_bar_on_a_terminal(pairs, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, 'stderr', terminal)
    train(pairs)
    shown = terminal.getvalue()
    assert '\r' in shown and 'epoch' in shown  # the bar
    assert 'epoch 1/2: total=' not in shown  # and no line for the same epoch


def test_fit_log_replaces_the_display_and_progress_off_is_silent(pairs, capsys,
                                                                 monkeypatch):
    monkeypatch.setattr(sys, 'stderr', Terminal())
    lines = []
    train(pairs, progress=lines.append)
    assert len(lines) == 2 and lines[1].startswith('epoch 2/2: total=')
    assert sys.stderr.getvalue() == ''
    train(pairs, progress=False)
    assert sys.stderr.getvalue() == '' and capsys.readouterr().out == ''


def test_lines_are_throttled_but_the_first_and_last_step_always_show():
    lines = []
    with Progress(100, 'subjects', log=lines.append, every=3600) as progress:
        for _ in range(100):
            progress.step()
    assert lines == ['subjects 1/100', 'subjects 100/100']


def test_chunked_spectra_equal_one_batched_call(connectomes):
    lr, hr = connectomes(40, LR_NODES, seed=3), connectomes(40, HR_NODES, seed=4)
    data = ConnectomeTensors.from_data((lr, hr)).with_spectra(progress=True)
    expected = spectra(lr, hr)
    assert torch.equal(data.lr_eigvecs, expected[0])
    assert torch.equal(data.hr_eigvecs, expected[1])


@pytest.fixture
def numpy_pair(tmp_path, pairs):
    paths = str(tmp_path / 'lr.npy'), str(tmp_path / 'hr.npy')
    write_numpy(paths[0], pairs[0].numpy())
    write_numpy(paths[1], pairs[1].numpy())
    return ['--lr', paths[0], '--hr', paths[1]]


def test_quiet_prints_only_the_results(tmp_path, numpy_pair, capsys):
    out = str(tmp_path / 'model.pt')
    train_command = ['train', '--model', 'GSRLayerOnly', '--epochs', '1',
                     '--out', out] + numpy_pair
    assert main(train_command) == 0
    err = capsys.readouterr().err
    assert 'reading ' in err and 'epoch 1/1: total=' in err
    assert main(train_command + ['--quiet']) == 0
    captured = capsys.readouterr()
    assert captured.err == ''
    assert captured.out.splitlines() == [
        line for line in captured.out.splitlines() if line.startswith('trained')]

    assert main(['cv', '--models', 'GSRLayerOnly', '--folds', '2', '--epochs',
                 '1', '--out', str(tmp_path / 'cv'), '--quiet'] + numpy_pair) == 0
    captured = capsys.readouterr()
    assert captured.err == ''
    assert captured.out.startswith('| method |')
    assert 'estimated time' not in captured.out

    assert main(['evaluate', '--checkpoint', out, '--topology', '--quiet']
                + numpy_pair) == 0
    captured = capsys.readouterr()
    assert captured.err == '' and captured.out.startswith('metric,mean,std')
    assert main(['evaluate', '--checkpoint', out, '--topology'] + numpy_pair) == 0
    err = capsys.readouterr().err
    assert 'prediction 1/1' in err and f'centralities {SUBJECTS}/{SUBJECTS}' in err


def test_reading_a_slim_folder_reports_the_files(tmp_path, pairs, capsys):
    from torch_gsr.datasets import write_slim
    write_slim(str(tmp_path / 'slim'), pairs[0].numpy(), pairs[1].numpy(),
               [f'sub-{i:02d}' for i in range(SUBJECTS)])
    command = ['train', '--lr', str(tmp_path / 'slim'), '--model', 'GSRLayerOnly',
               '--epochs', '1', '--out', str(tmp_path / 'model.pt')]
    assert main(command) == 0
    err = capsys.readouterr().err
    assert f'reading Dosenbach_160 1/{SUBJECTS}' in err
    assert f'reading shen_268 {SUBJECTS}/{SUBJECTS}' in err
    assert main(command + ['--quiet']) == 0
    assert capsys.readouterr().err == ''


def test_a_fractional_bar_moves_within_a_step_and_step_completes_it(monkeypatch):
    monkeypatch.setattr(sys, 'stderr', Terminal())
    with Progress(2, 'epoch', every=0, fractional=True) as progress:
        for _ in range(7):  # 7 batches: the fractions do not add up exactly
            progress.advance(1 / 7)
        assert progress.bar.n == pytest.approx(1)
        progress.step('total=1')
        assert progress.bar.n == 1 and progress.partial == 0
