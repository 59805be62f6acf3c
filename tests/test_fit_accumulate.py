r"""Gradient accumulation in :func:`~torch_gsr.train.fit` (``accumulate``)
and STP-GSR's released schedule (``STPGSR.fit_presets['paper']``)."""
import copy

import pytest
import torch

from torch_gsr.config import FitConfig
from torch_gsr.nn import STP_PAPER_FIT, STPGSR, GSRNet
from torch_gsr.train import cross_validate, fit
from torch_gsr.train.options import planned_epochs, updates_per_epoch

pytestmark = pytest.mark.usefixtures('one_thread')


def test_updates_per_epoch_count_accumulated_batches():
    config = FitConfig(batch_size=2, accumulate=3, updates=12)
    # 10 subjects: 5 batches, updates after batches 3 and 5.
    assert updates_per_epoch(config, 10) == 2
    assert planned_epochs(config, 10) == 6
    with pytest.raises(ValueError, match='accumulate must be an int >= 1'):
        FitConfig(accumulate=0)


def test_fit_sums_the_gradients_of_accumulated_batches(connectomes):
    r"""``batch_size=1, accumulate=4`` on 10 subjects: each epoch reshuffles,
    and the optimiser steps after subjects 4, 8 and 10 on the summed
    gradients of their single-subject losses, as the released STP-GSR
    training does (src/train.py:90-143)."""
    lr_adj, hr_adj = connectomes(10, 6), connectomes(10, 8, seed=1)
    torch.manual_seed(0)
    model = STPGSR(6, 8, preset='paper', dropout=0.)
    manual = copy.deepcopy(model)
    fit(model, (lr_adj, hr_adj), preset='paper', epochs=2, accumulate=4, seed=3,
        progress=False)
    optimizer = torch.optim.Adam(manual.parameters(), lr=1e-3)
    shuffle = torch.Generator().manual_seed(3)
    for _ in range(2):
        order = torch.randperm(10, generator=shuffle)
        optimizer.zero_grad()
        for k, i in enumerate(order.tolist()):
            out = manual(lr_adj[i:i + 1])
            manual.loss(out, hr_adj[i:i + 1]).total.backward()
            if (k + 1) % 4 == 0 or k + 1 == 10:
                optimizer.step()
                optimizer.zero_grad()
    for (name, ours), theirs in zip(model.state_dict().items(),
                                    manual.state_dict().values(), strict=True):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0, msg=name)


def test_accumulate_one_is_the_plain_step(connectomes):
    # 8 LR nodes: the paper preset's four released pool ratios (floor)
    # keep a node at every level (6 would pool down to none).
    data = (connectomes(6, 8), connectomes(6, 12, seed=1))
    results = []
    for accumulate in (None, 1):
        torch.manual_seed(0)
        model = GSRNet(8, 12, preset='paper')
        fit(model, data, preset='paper', epochs=2, accumulate=accumulate,
            progress=False)
        results.append(model.gsr.weight.detach().clone())
    assert torch.equal(*results)


def test_stp_gsr_trains_with_the_released_schedule(connectomes):
    assert STPGSR.fit_presets['paper'] is STP_PAPER_FIT
    assert (STP_PAPER_FIT.learning_rate, STP_PAPER_FIT.batch_size,
            STP_PAPER_FIT.accumulate, STP_PAPER_FIT.epochs,
            STP_PAPER_FIT.val_fraction, STP_PAPER_FIT.schedule) == \
        (1e-3, 1, 16, 60, 0., 'constant')
    assert GSRNet.fit_presets['paper'].learning_rate == 1e-4
    torch.manual_seed(0)
    history = fit(STPGSR(6, 8, preset='paper'),
                  (connectomes(20, 6), connectomes(20, 8, seed=1)),
                  preset='paper', progress=False)
    assert history.planned_epochs == len(history) == 60
    assert history['learning_rate'] == [1e-3] * 60


def test_stp_gsr_cross_validates_with_its_paper_protocol(connectomes):
    r"""Three folds, a fresh model per fold, the released schedule (here cut
    to 2 epochs)."""
    data = (connectomes(9, 6), connectomes(9, 8, seed=1))
    result = cross_validate(lambda: STPGSR(6, 8, preset='paper'), data, folds=3,
                            preset='paper', epochs=2, baselines=False,
                            progress=False)
    assert len(result.test_indices) == 3
    histories = next(iter(result.histories.values()))
    assert [h['learning_rate'] for h in histories] == [[1e-3, 1e-3]] * 3
