r"""Distributed training: 2 CPU processes (gloo), started with
``torch.multiprocessing`` and the environment variables torchrun would set."""
import os
import re
import socket
import time

import pytest
import torch
import torch.multiprocessing as mp

import torch_gsr.distributed as dist
from torch_gsr.nn import GSRNet, NodeMapGSR
from torch_gsr.train import NonFiniteLossError, fit

LR_NODES, HR_NODES, SUBJECTS = 8, 14, 16
# 16 subjects in global batches of 5: the batches hold 5, 5, 5 and 1
# subjects, so the shards are uneven (3 + 2) and, in the last batch, empty.
# A constant rate: the tests interrupt a run by asking for fewer epochs,
# which would change a cosine schedule's length.
OPTIONS = dict(learning_rate=1e-2, batch_size=5, seed=3, progress=False,
               schedule='constant')
JOIN_TIMEOUT_S = 120


def make_data():
    gen = torch.Generator().manual_seed(0)
    lr = torch.rand(SUBJECTS, LR_NODES, LR_NODES, generator=gen,
                    dtype=torch.float64)
    lr = (lr + lr.transpose(-1, -2)) / 2
    lr.diagonal(dim1=-2, dim2=-1).fill_(1.)
    lift = torch.rand(LR_NODES, HR_NODES, generator=gen, dtype=torch.float64)
    hr = torch.sigmoid(lift.T @ lr @ lift / LR_NODES)
    hr.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return lr, hr


def make_model(name: str = 'GSRNet'):
    # Float64, so that 1- and 2-process sums agree to ~1e-12.
    torch.manual_seed(0)
    cls = dict(GSRNet=GSRNet, NodeMapGSR=NodeMapGSR)[name]
    return cls(LR_NODES, HR_NODES).double()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def nan_on_rank_1(model):
    r"""Makes the model's predictions NaN in rank 1 only."""
    forward = model.forward

    def patched(*args, **kwargs):
        out = forward(*args, **kwargs)
        if dist.get_rank() == 1:
            out.hr_adj = out.hr_adj * float('nan')
        return out
    model.forward = patched


def raise_on_rank_1(model):
    r"""Makes the model's forward pass raise in rank 1 only."""
    forward = model.forward

    def patched(*args, **kwargs):
        if dist.get_rank() == 1:
            raise ValueError('bad subject in rank 1')
        return forward(*args, **kwargs)
    model.forward = patched


def run_fit(rank: int, folder: str, epochs: int, sabotage=None,
            model_name: str = 'GSRNet'):
    r"""What each process does: train, save its parameters, history, log
    lines and error (if any) to ``<folder>/rank<rank>.pt``."""
    torch.set_num_threads(1)
    model = make_model(model_name)
    if sabotage is not None:
        sabotage(model)
    lines, error, history = [], None, None
    checkpoint = os.path.join(folder, 'run.pt')
    try:
        history = fit(model, make_data(), epochs=epochs, checkpoint=checkpoint,
                      resume=checkpoint if os.path.exists(checkpoint) else None,
                      distributed=True, **dict(OPTIONS, progress=lines.append))
    except Exception as caught:
        error = (type(caught).__name__, str(caught))
    torch.save(dict(state=model.state_dict(), lines=lines, error=error,
                    history=None if history is None else history.records,
                    ridge_weight=None if history is None else history.ridge_weight),
               os.path.join(folder, f'rank{rank}.pt'))


def worker(rank: int, world: int, port: int, folder: str, runs):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port))
    try:
        for run in runs:
            run_fit(rank, folder, *run)
    finally:
        dist.destroy_process_group()


def spawn(folder, runs, world=2):
    r"""Runs ``runs`` (``(epochs, sabotage[, model name])``, one after the other) in
    ``world`` processes; fails instead of hanging. Returns each rank's
    results of the last run."""
    context = mp.start_processes(worker, args=(world, free_port(), str(folder),
                                               runs),
                                 nprocs=world, join=False, start_method='spawn')
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    while not context.join(timeout=1):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f'the processes did not finish in {JOIN_TIMEOUT_S}s')
    return [torch.load(folder / f'rank{r}.pt', weights_only=False)
            for r in range(world)]


def one_process_fit(epochs: int, model_name: str = 'GSRNet'):
    torch.set_num_threads(1)
    model = make_model(model_name)
    history = fit(model, make_data(), epochs=epochs, **OPTIONS)
    return model.state_dict(), history


def untimed(records):
    return [{k: v for k, v in r.items() if k != 'time'} for r in records]


def assert_close_states(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-9, atol=1e-11,
                                   msg=key)


def test_two_processes_agree_and_match_one_process(tmp_path):
    rank0, rank1 = spawn(tmp_path, [(2, None)])
    assert rank0['error'] is None and rank1['error'] is None
    # Every rank holds the very same parameters ...
    for key, value in rank0['state'].items():
        assert torch.equal(value, rank1['state'][key]), key
    # ... which are the 1-process run's with the same global batch and seed.
    state, history = one_process_fit(epochs=2)
    records = history.records
    assert_close_states(rank0['state'], state)
    assert not torch.equal(state['gsr.weight'], make_model().gsr.weight)
    # The logged losses are reduced over ranks: the whole data set's.
    for ours, theirs in zip(rank0['history'], records, strict=True):
        for term in ('total', 'hr', 'eig', 'rec'):
            assert ours[term] == pytest.approx(theirs[term], rel=1e-9)
    assert untimed(rank0['history']) == untimed(rank1['history'])
    # Rank 0 alone logs and writes the checkpoint, once, atomically.
    assert len(rank0['lines']) == 2 and rank1['lines'] == []
    assert sorted(os.listdir(tmp_path)) == ['rank0.pt', 'rank1.pt', 'run.pt']
    checkpoint = torch.load(tmp_path / 'run.pt', weights_only=True)
    assert checkpoint['epoch'] == 2
    assert_close_states(checkpoint['model_state'], rank0['state'])


def test_node_map_gsr_calibrates_alike_in_every_process(tmp_path):
    # The ridge part is fitted and its weight calibrated in every rank, on
    # the same subjects: the ranks agree with each other and with one process.
    rank0, rank1 = spawn(tmp_path, [(2, None, 'NodeMapGSR')])
    assert rank0['error'] is None and rank1['error'] is None
    for key, value in rank0['state'].items():
        assert torch.equal(value, rank1['state'][key]), key
    state, history = one_process_fit(epochs=2, model_name='NodeMapGSR')
    assert_close_states(rank0['state'], state)
    assert history.ridge_weight is not None  # 2 of 16 subjects validate
    assert rank0['ridge_weight'] == rank1['ridge_weight']
    assert rank0['ridge_weight'] == pytest.approx(history.ridge_weight, abs=1e-9)
    assert 'ridge_blend.ridge.dual_coef' in state


def test_resume_under_two_processes(tmp_path):
    # One epoch, then a second run resumes from its checkpoint to two.
    rank0, rank1 = spawn(tmp_path, [(1, None), (2, None)])
    assert rank0['error'] is None and rank1['error'] is None
    assert [r['epoch'] for r in rank0['history']] == [1, 2]
    assert len(rank0['lines']) == 1  # the resumed run trained one epoch
    state, _ = one_process_fit(epochs=2)
    assert_close_states(rank0['state'], state)
    assert_close_states(rank1['state'], state)


@pytest.mark.parametrize('sabotage, error, message', [
    (nan_on_rank_1, NonFiniteLossError, r'non-finite loss \(total, hr\) in '
                                        r'epoch 1 on the batch of subjects'),
    (raise_on_rank_1, dist.RankFailedError, r'the training step in epoch 1 '
                                            r'failed in rank 1 of 2: '
                                            r'ValueError: bad subject'),
])
def test_failure_in_one_rank_stops_all_ranks(tmp_path, sabotage, error,
                                            message):
    rank0, rank1 = spawn(tmp_path, [(2, sabotage)])
    assert rank0['error'] is not None
    assert rank0['error'] == rank1['error']  # the same error everywhere
    name, text = rank0['error']
    assert name == error.__name__
    assert re.search(message, text), text
    assert not (tmp_path / 'run.pt').exists()  # no epoch completed


def test_shard_weights_make_the_global_mean():
    # Without a process group: the whole batch, weight 1.
    index = torch.arange(5)
    part, weight = dist.shard(index)
    assert torch.equal(part, index) and weight == 1.
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.backend_for('cpu') == 'gloo'
    assert dist.backend_for('cuda:1') == 'nccl'


def test_init_outside_torchrun_names_the_missing_variables(monkeypatch):
    for name in dist.TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match='torchrun --nproc_per_node'):
        dist.init_process_group('cpu')
