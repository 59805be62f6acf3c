import os
import subprocess
import sys
import time

import pytest
import torch

import torch_gsr.train.callbacks as callbacks
import torch_gsr.train.loop as train_loop
from torch_gsr.cli import main
from torch_gsr.datasets import write_numpy
from torch_gsr.nn.models import GSRLayerOnly, GSRNet
from torch_gsr.train import cross_validate

LR_NODES, HR_NODES, SUBJECTS = 8, 14, 12
FOLDS, EPOCHS = 3, 2
EXAMPLE = os.path.join(os.path.dirname(__file__), '..', 'examples', 'slim_superres.py')


pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture
def pairs(connectomes):
    return connectomes(SUBJECTS, LR_NODES, seed=1), connectomes(SUBJECTS, HR_NODES, seed=2)


def factories():
    return {'net': lambda: GSRNet(LR_NODES, HR_NODES),
            'layer': lambda: GSRLayerOnly(LR_NODES, HR_NODES)}


def run_cv(pairs, folder, **overrides):
    options = dict(folds=FOLDS, seed=3, epochs=EPOCHS, batch_size=4,
                   learning_rate=1e-3, progress=False, checkpoint_dir=folder)
    options.update(overrides)
    return cross_validate(factories(), pairs, **options)


def interrupt_after(monkeypatch, writes):
    r"""Makes fit raise KeyboardInterrupt once, right after its
    ``writes``-th checkpoint write (one per epoch and a final one per run;
    as Ctrl-C would between two epochs); counts the writes."""
    written, interrupted = [], []
    write = train_loop.write_checkpoint
    monkeypatch.setattr(callbacks, 'CHECKPOINT_EVERY', 0.)  # a write per epoch

    def counting(path, checkpoint):
        write(path, checkpoint)
        written.append(path)
        if len(written) == writes and not interrupted:
            interrupted.append(path)
            raise KeyboardInterrupt
    monkeypatch.setattr(train_loop, 'write_checkpoint', counting)
    return written


def same_result(a, b):
    assert a.table() == b.table()
    for name in a.methods:
        for x, y in zip(a.predictions[name], b.predictions[name], strict=True):
            assert torch.equal(x, y)
    for name in a.models:
        for x, y in zip(a.models[name], b.models[name], strict=True):
            assert all(torch.equal(v, y.state_dict()[k])
                       for k, v in x.state_dict().items())
    for name in a.histories:
        for x, y in zip(a.histories[name], b.histories[name], strict=True):
            strip = [{k: v for k, v in r.items() if k != 'time'} for r in x.records]
            assert strip == [{k: v for k, v in r.items() if k != 'time'}
                             for r in y.records]


def test_interrupted_cross_validation_resumes_to_the_same_result(
        pairs, tmp_path, monkeypatch):
    uninterrupted = run_cv(pairs, str(tmp_path / 'whole'))
    folder = str(tmp_path / 'resumed')
    # 2 models x (2 epochs + the final write) per fold: the 7th write is
    # epoch 1 of 'net' in fold 1 (0-based), after fold 0 finished.
    written = interrupt_after(monkeypatch, 7)
    with pytest.raises(KeyboardInterrupt):
        run_cv(pairs, folder)
    finished = sorted(f for f in os.listdir(folder) if f.endswith('.result.pt'))
    assert finished == ['MeanHR-fold0.result.pt', 'RidgeRegression-fold0.result.pt',
                        'layer-fold0.result.pt', 'net-fold0.result.pt']
    written.clear()
    resumed = run_cv(pairs, folder)
    same_result(uninterrupted, resumed)
    # re-used fold 0, continued 'net' of fold 1 from epoch 1: 18 - 7 writes left
    assert len(written) == FOLDS * 2 * (EPOCHS + 1) - 7


def test_resuming_with_other_settings_or_data_is_an_error(pairs, tmp_path,
                                                          monkeypatch):
    folder = str(tmp_path / 'run')
    interrupt_after(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        run_cv(pairs, folder)
    with pytest.raises(ValueError, match='other fit_arguments'):
        run_cv(pairs, folder, epochs=3)
    with pytest.raises(ValueError, match='other data'):
        run_cv((pairs[0], pairs[1] * 0.5), folder)
    with pytest.raises(ValueError, match='other folds'):
        run_cv(pairs, folder, folds=2)


@pytest.fixture
def numpy_pair(tmp_path, pairs):
    lr, hr = str(tmp_path / 'lr.npy'), str(tmp_path / 'hr.npy')
    write_numpy(lr, pairs[0].numpy())
    write_numpy(hr, pairs[1].numpy())
    return lr, hr


def test_interrupted_cli_cv_resumes_to_the_same_tables(tmp_path, numpy_pair,
                                                      monkeypatch, capsys):
    def cv(out):
        return ['cv', '--lr', numpy_pair[0], '--hr', numpy_pair[1], '--models',
                'GSRNet', 'GSRLayerOnly', '--folds', '2', '--epochs', '2',
                '--batch-size', '4', '--out', str(out), '--quiet']
    assert main(cv(tmp_path / 'whole')) == 0
    interrupt_after(monkeypatch, 5)
    with pytest.raises(SystemExit) as exit_info:
        main(cv(tmp_path / 'resumed'))
    assert exit_info.value.code == 130
    assert 'run the same command again' in capsys.readouterr().err
    assert os.path.isdir(tmp_path / 'resumed' / 'checkpoints')
    monkeypatch.undo()
    assert main(cv(tmp_path / 'resumed')) == 0
    for table in ('results.csv', 'results.md'):
        assert (tmp_path / 'resumed' / table).read_text() == \
            (tmp_path / 'whole' / table).read_text()
    assert not (tmp_path / 'resumed' / 'checkpoints').exists()
    assert main(['plot', '--from', str(tmp_path / 'resumed'), '--quiet']) == 0


def _example_args(out):
    # Enough epochs that the run is still going when its first (model, fold)
    # result appears, however loaded the machine: the kill must not race the end.
    return ['--quick', '--subjects', '12', '--lr-nodes', '8', '--hr-nodes', '14',
            '--folds', '2', '--epochs', '12', '--out', str(out)]



def test_killed_example_resumes_to_the_same_table(tmp_path, capsys, example_module):
    example = example_module('slim_superres')
    assert example.main(_example_args(tmp_path / 'whole') + ['--quiet']) == 0
    quiet = capsys.readouterr()  # --quiet: the results only
    assert quiet.err == '' and quiet.out.startswith('| method |')
    out = tmp_path / 'killed'
    job = subprocess.Popen([sys.executable, EXAMPLE] + _example_args(out),
                           env=dict(os.environ, OMP_NUM_THREADS='1'),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / 'checkpoints'
    deadline = time.monotonic() + 300
    while not (results.is_dir() and any(f.endswith('.result.pt')
                                        for f in os.listdir(results))):
        assert job.poll() is None, 'the example ended before it could be killed'
        assert time.monotonic() < deadline
        time.sleep(0.05)
    job.kill()  # SIGKILL: no handler runs, as when a job is killed
    job.wait()
    capsys.readouterr()
    assert example.main(_example_args(out)) == 0
    assert 'continuing the unfinished run' in capsys.readouterr().out
    assert (out / 'results.csv').read_text() == \
        (tmp_path / 'whole' / 'results.csv').read_text()


def test_a_run_that_stopped_early_is_not_trained_further(pairs, tmp_path,
                                                         monkeypatch):
    def val_loss(model, data, batch_size):  # never improves after epoch 1
        return dict(val_total=0., val_hr=1., val_eig=0., val_rec=0.)
    monkeypatch.setattr(train_loop, '_validation_loss', val_loss)
    path = str(tmp_path / 'run.pt')
    options = dict(epochs=8, val_fraction=0.25, patience=1, stop_after=0.,
                   batch_size=4, progress=False, checkpoint=path)
    torch.manual_seed(0)
    model = GSRLayerOnly(LR_NODES, HR_NODES)
    first = train_loop.fit(model, pairs, **options)
    assert len(first) == 2 and first.stopped_early
    torch.manual_seed(0)
    again = GSRLayerOnly(LR_NODES, HR_NODES)
    resumed = train_loop.fit(again, pairs, resume=path, **options)
    assert len(resumed) == 2 and resumed.stopped_early
    assert all(torch.equal(v, again.state_dict()[k])
               for k, v in model.state_dict().items())


def test_a_start_that_saved_nothing_does_not_pin_the_settings(pairs, tmp_path):
    folder = str(tmp_path / 'run')
    with pytest.raises(ValueError, match='epochs must be an int >= 1'):
        run_cv(pairs, folder, epochs=0)  # fails before any checkpoint
    assert os.listdir(folder) == ['run.json']
    assert len(run_cv(pairs, folder).table()) == 4


def test_only_results_listed_when_the_run_opened_are_read_back(pairs, tmp_path,
                                                               monkeypatch):
    # Under torchrun, rank 0 may write a fold's result while another rank is
    # about to decide whether that fold is finished: the decision must come
    # from the listing taken when the run opened, the same in every rank.
    import torch_gsr.train.cv_state as cv_state
    whole = run_cv(pairs, str(tmp_path / 'whole'))
    open_run = cv_state.open_run

    def open_then_race(path, fingerprint):
        finished = open_run(path, fingerprint)
        with open(os.path.join(path, 'MeanHR-fold0.result.pt'), 'wb') as f:
            f.write(b'written meanwhile')
        return finished
    monkeypatch.setattr(cv_state, 'open_run', open_then_race)
    same_result(whole, run_cv(pairs, str(tmp_path / 'run')))


def test_a_throttled_checkpoint_resumes_to_the_same_weights(pairs, tmp_path,
                                                          monkeypatch):
    # NodeMapGSR's ridge part is derived from the training data: the
    # checkpoints written during training leave it out, and the resumed run
    # refits it (initialize) before it continues.
    from torch_gsr.nn import NodeMapGSR
    options = dict(epochs=5, val_fraction=0.25, patience=10, batch_size=4,
                   learning_rate=1e-3, seed=3, progress=False)
    torch.manual_seed(0)
    straight = NodeMapGSR(LR_NODES, HR_NODES)
    whole = train_loop.fit(straight, pairs, **options)
    path = str(tmp_path / 'run.pt')
    written = interrupt_after(monkeypatch, 3)  # killed after epoch 3
    torch.manual_seed(0)
    with pytest.raises(KeyboardInterrupt):
        train_loop.fit(NodeMapGSR(LR_NODES, HR_NODES), pairs, checkpoint=path,
                       checkpoint_every=0, **options)
    assert len(written) == 3
    saved = torch.load(path, weights_only=True)
    assert saved['epoch'] == 3 and 'final_state' not in saved
    assert not any(key.startswith('ridge_blend.ridge.') for key in saved['model_state'])
    initialized = []
    original = NodeMapGSR.initialize
    monkeypatch.setattr(NodeMapGSR, 'initialize', lambda self, lr, hr: (
        initialized.append(lr.size(0)), original(self, lr, hr)))
    torch.manual_seed(7)
    resumed = NodeMapGSR(LR_NODES, HR_NODES)
    history = train_loop.fit(resumed, pairs, resume=path, **options)
    assert initialized == [9]  # the training subjects, once
    assert all(torch.equal(v, resumed.state_dict()[k])
               for k, v in straight.state_dict().items())
    assert history.ridge_weight == whole.ridge_weight
    assert [{k: v for k, v in r.items() if k != 'time'} for r in history.records] == \
        [{k: v for k, v in r.items() if k != 'time'} for r in whole.records]


def test_checkpoints_are_written_at_most_every_checkpoint_every_seconds():
    from torch_gsr.train import History
    from torch_gsr.train.callbacks import CheckpointWriter, EarlyStopping, FitRun
    now, written = [0.], []
    stopping = EarlyStopping(None)
    writer = CheckpointWriter('run.pt', stopping, every=10., clock=lambda: now[0],
                              write=lambda path, saved: written.append(saved['epoch']))
    model = GSRLayerOnly(LR_NODES, HR_NODES)
    run = FitRun(model, torch.optim.Adam(model.parameters()), torch.Generator(),
                 History(), {}, None)
    writer.on_fit_start(run)
    for epoch in range(1, 8):
        now[0] += 4.  # 4 s per epoch
        record = dict(epoch=epoch)
        run.history.records.append(record)
        stopping.on_epoch_end(run, record)
        writer.on_epoch_end(run, record)
    writer.on_train_end(run)
    writer.on_fit_end(run)
    # due after epochs 3 (12 s) and 6 (24 s: 12 s after the last), then the end
    assert written == [3, 6, 7]


def test_the_final_checkpoint_holds_each_state_once(pairs, tmp_path):
    from torch_gsr.nn import NodeMapGSR
    path = str(tmp_path / 'run.pt')
    torch.manual_seed(0)
    model = NodeMapGSR(LR_NODES, HR_NODES)
    history = train_loop.fit(model, pairs, epochs=3, val_fraction=0.25,
                             batch_size=4, progress=False, checkpoint=path)
    saved = torch.load(path, weights_only=True)
    derived = set(model.derived_state_keys())
    assert derived and derived <= set(saved['final_state'])
    assert not derived & set(saved['model_state'])
    stopping = saved['early_stopping']
    # The best epoch's weights are stored only when they are not the last's.
    assert (stopping['best_state'] is None) == (history.best_epoch == 3)


def test_a_checkpoint_of_a_run_in_progress_is_resumed_not_loaded(pairs, tmp_path,
                                                               monkeypatch):
    from torch_gsr.nn import NodeMapGSR
    from torch_gsr.train import load_checkpoint
    path = str(tmp_path / 'run.pt')
    interrupt_after(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        train_loop.fit(NodeMapGSR(LR_NODES, HR_NODES), pairs, epochs=3, batch_size=4,
                       progress=False, checkpoint=path, checkpoint_every=0)
    with pytest.raises(ValueError, match=r'run.pt: a checkpoint of a run in progress '
                                         r'.*resume it'):
        load_checkpoint(path)
    with pytest.raises(ValueError, match='checkpoint_every must be >= 0 seconds'):
        train_loop.fit(GSRLayerOnly(LR_NODES, HR_NODES), pairs, epochs=1,
                       progress=False, checkpoint=path, checkpoint_every=-1.)
