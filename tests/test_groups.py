"""Groups of dependent samples: every split keeps a group together, blocks
leave a gap, and fit warns when validation samples are near-copies."""
import warnings

import numpy as np
import pytest
import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.datasets.fmri import interleaved_pairs, merge_regions, window_connectomes
from torch_gsr.nn import LocalRidgeMap, NodeMapGSR, RidgeMap
from torch_gsr.nn.uncertainty.conformal import ridge_residual_scale
from torch_gsr.train import ConnectomeTensors, cross_validate, fit, kfold_indices
from torch_gsr.utils.groups import (
    fold_masks,
    group_index,
    held_out_parts,
    lag_of_independence,
    nearest_distance_ratio,
    source_of,
    split_fraction,
    training_part,
)

HR_REGIONS = 16


def windows(sources=6, length=300, window=60, step=3, seed=0):
    """Overlapping-window connectomes ``(lr, hr, ids)`` of ``sources``
    independent simulated runs (a random mixing of smoothed noise each)."""
    rng = np.random.default_rng(seed)
    parcels = interleaved_pairs(HR_REGIONS)
    lr, hr, ids = [], [], []
    for s in range(sources):
        noise = rng.standard_normal((length + 20, HR_REGIONS))
        smooth = np.cumsum(noise, 0)[20:] - np.cumsum(noise, 0)[:-20]
        series = smooth @ rng.standard_normal((HR_REGIONS, HR_REGIONS))
        hr_s = window_connectomes(series, window, step)
        lr_s = window_connectomes(merge_regions(series, parcels), window, step)
        lr.append(lr_s)
        hr.append(hr_s)
        ids += [f'run{s}-w{k}' for k in range(len(hr_s))]
    return (torch.from_numpy(np.concatenate(lr)).float(),
            torch.from_numpy(np.concatenate(hr)).float(), ids)


@pytest.fixture(scope='module')
def runs():
    return windows()


def test_window_ids_name_their_source():
    assert source_of('hcp-100307-w03') == 'hcp-100307'
    assert source_of('sub-wide') == 'sub-wide'  # not a window id
    assert group_index(['b', 'a', 'b', 'c']).tolist() == [0, 1, 0, 2]
    with pytest.raises(ValueError, match='3 labels for 4 samples'):
        group_index(['a', 'b', 'c'], 4)


def test_singleton_groups_split_as_a_permutation_of_the_samples():
    train, held = split_fraction(torch.arange(10), 0.3, seed=4)
    order = torch.randperm(10, generator=torch.Generator().manual_seed(4))
    assert held.tolist() == order[:3].tolist() and train.tolist() == order[3:].tolist()


def test_a_group_is_never_on_both_sides():
    group = group_index([f'g{k // 3}' for k in range(30)])
    for seed in range(5):
        train, held = split_fraction(group, 0.25, seed=seed)
        assert set(group[train].tolist()).isdisjoint(group[held].tolist())
        assert sorted(train.tolist() + held.tolist()) == list(range(30))
    parts = held_out_parts(group, 4, seed=1)
    assert torch.stack(parts).sum(0).eq(1).all()  # every sample held out once
    for held in parts:
        assert set(group[held].tolist()).isdisjoint(group[~held].tolist())


def test_blocks_hold_out_each_groups_last_samples_with_a_gap():
    group = group_index(['a'] * 10 + ['b'] * 5)
    train, held = split_fraction(group, 0.2, 'blocks', gap=2)
    assert held.tolist() == [8, 9, 14]
    assert train.tolist() == [0, 1, 2, 3, 4, 5, 10, 11]
    first = held_out_parts(group, 5, 'blocks')[0]
    assert first.nonzero().view(-1).tolist() == [0, 1, 10]
    # The gap stays within a group: sample 10 (group b) keeps sample 9 (a).
    kept = training_part(group, first, gap=1)
    assert (~kept).nonzero().view(-1).tolist() == [0, 1, 2, 10, 11]


def test_kfold_keeps_groups_whole_and_blocks_contiguous():
    groups = [f's{k % 4}' for k in range(20)]
    folds = kfold_indices(20, 2, seed=0, groups=groups)
    assert sorted(torch.cat(folds).tolist()) == list(range(20))
    assert {groups[i] for i in folds[0]}.isdisjoint(groups[i] for i in folds[1])
    with pytest.raises(ValueError, match='more than the 4 groups'):
        kfold_indices(20, 5, groups=groups)
    blocks = kfold_indices(10, 2, split='blocks')
    assert [b.tolist() for b in blocks] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_the_distance_ratio_tells_overlapping_windows_from_independent_runs(runs):
    lr, _, ids = runs
    by_row = split_fraction(torch.arange(len(ids)), 0.2, seed=0)
    by_run = split_fraction(group_index([source_of(i) for i in ids]), 0.2, seed=0)
    overlapping = nearest_distance_ratio(lr[by_row[0]], lr[by_row[1]])
    independent = nearest_distance_ratio(lr[by_run[0]], lr[by_run[1]])
    assert overlapping < 0.4 < independent


def test_fit_warns_once_when_validation_rows_are_near_copies(runs):
    lr, hr, ids = runs
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='near-copies') as caught:
        fit(NodeMapGSR(lr.size(-1), HR_REGIONS), (lr, hr), epochs=1, progress=False)
    assert sum('near-copies' in str(w.message) for w in caught) == 1
    # Grouped by run (from the window ids, or passed), no warning.
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        torch.manual_seed(0)
        fit(NodeMapGSR(lr.size(-1), HR_REGIONS), (lr, hr), epochs=1, progress=False,
            groups=[source_of(i) for i in ids])
        data = ConnectomeTensors(lr, hr, ids)
        assert data.groups == [source_of(i) for i in ids]
        fit(NodeMapGSR(lr.size(-1), HR_REGIONS), data, epochs=1, progress=False)


class Recording(NodeMapGSR):
    """Records the training samples and what the after-fit hook receives."""
    def initialize(self, lr_adj, hr_adj):
        self.trained_on = lr_adj.clone()
        super().initialize(lr_adj, hr_adj)

    def after_fit(self, lr_adj, hr_adj, groups=None):
        self.validated_on = (lr_adj.clone(), groups.clone())
        return super().after_fit(lr_adj, hr_adj, groups)


def rows_of(samples, lr):
    return sorted(int((lr - x).abs().flatten(1).sum(1).argmin()) for x in samples)


def test_fit_validates_on_whole_groups_or_on_later_blocks(runs):
    lr, hr, ids = runs
    sources = [source_of(i) for i in ids]
    model = Recording(lr.size(-1), HR_REGIONS)
    fit(model, ConnectomeTensors(lr, hr, ids), epochs=1, progress=False, val_fraction=0.4)
    val_lr, val_groups = model.validated_on
    held, trained = rows_of(val_lr, lr), rows_of(model.trained_on, lr)
    assert {sources[r] for r in held}.isdisjoint(sources[r] for r in trained)
    assert sorted(held + trained) == list(range(len(ids)))  # whole runs, no gap
    assert len(set(val_groups.tolist())) == len({sources[r] for r in held}) == 2

    model = Recording(lr.size(-1), HR_REGIONS)
    fit(model, ConnectomeTensors(lr, hr, ids), epochs=1, progress=False,
        split='blocks', gap=19, val_fraction=0.2)
    held, trained = rows_of(model.validated_on[0], lr), rows_of(model.trained_on, lr)
    for source in set(sources):
        rows = [r for r in range(len(ids)) if sources[r] == source]
        count = round(0.2 * len(rows))
        assert [r for r in held if sources[r] == source] == rows[-count:]
        assert [r for r in trained if sources[r] == source] == rows[:-count - 19]


def test_cross_validation_keeps_groups_in_one_fold(runs):
    lr, hr, ids = runs
    torch.manual_seed(0)
    result = cross_validate(lambda: NodeMapGSR(lr.size(-1), HR_REGIONS), (lr, hr),
                            folds=3, epochs=1, progress=False,
                            groups=[source_of(i) for i in ids])
    sources = [source_of(i) for i in ids]
    for test in result.test_indices:
        inside = {sources[i] for i in test}
        assert all(sources[i] not in inside for i in range(len(ids)) if i not in test)


def test_ridge_chooses_alpha_on_folds_of_whole_groups(runs):
    lr, hr, ids = runs
    by_row = RidgeRegression().fit(lr, hr)
    by_run = RidgeRegression().fit(lr, hr, [source_of(i) for i in ids])
    # Near-copies across folds make small penalties look better than they are.
    assert by_run.alpha_ > by_row.alpha_


def test_the_command_line_takes_groups(tmp_path, runs, capsys):
    from torch_gsr.cli import main
    from torch_gsr.train import load_checkpoint
    lr, hr, ids = runs
    np.save(tmp_path / 'lr.npy', lr.numpy())
    np.save(tmp_path / 'hr.npy', hr.numpy())
    groups = tmp_path / 'groups.txt'
    groups.write_text('\n'.join(source_of(i) for i in ids[:-1]) + '\n')
    data = ['--lr', str(tmp_path / 'lr.npy'), '--hr', str(tmp_path / 'hr.npy'),
            '--epochs', '1', '--quiet']
    out = str(tmp_path / 'model.pt')
    with pytest.raises(SystemExit) as stop:
        main(['train', '--model', 'NodeMapGSR', '--groups', str(groups), '--out', out]
             + data)
    assert stop.value.code == 2 and not (tmp_path / 'model.pt').exists()
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and 'groups.txt' in error and 'group labels' in error
    groups.write_text('\n'.join(source_of(i) for i in ids) + '\n')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # grouped: no near-copy warning
        assert main(['train', '--model', 'NodeMapGSR', '--groups', str(groups),
                     '--out', out] + data) == 0
    assert load_checkpoint(out)[1]['history']['val_subjects'] > 0
    assert main(['cv', '--models', 'NodeMapGSR', '--folds', '2', '--split', 'blocks',
                 '--gap', '19', '--out', str(tmp_path / 'cv')] + data) == 0


def test_auto_takes_overlapping_windows_without_groups_in_order(runs):
    lr, hr, ids = runs
    one_run = [i for i, name in enumerate(ids) if source_of(name) == 'run0']
    lr, hr = lr[one_run], hr[one_run]  # plain arrays of one run's windows
    gap = lag_of_independence(lr)
    assert 8 <= gap < 20  # windows of 60 every 3: overlap ends at lag 20
    model = Recording(lr.size(-1), HR_REGIONS)
    with pytest.warns(UserWarning, match=f'holds out the last 8 samples in order '
                                         f'instead, leaving out the {gap} before'):
        fit(model, (lr, hr), epochs=1, progress=False)
    held, trained = rows_of(model.validated_on[0], lr), rows_of(model.trained_on, lr)
    assert held == list(range(len(lr) - 8, len(lr)))
    assert trained == list(range(len(lr) - 8 - gap))
    # Asked for explicitly, random rows stay, with a warning.
    with pytest.warns(UserWarning, match='are near-copies'):
        fit(NodeMapGSR(lr.size(-1), HR_REGIONS), (lr, hr), epochs=1, progress=False,
            split='groups')


def test_cross_validation_warns_about_near_copies_across_folds(runs):
    lr, hr, _ = runs
    with pytest.warns(UserWarning, match='the test samples are near-copies'):
        cross_validate(lambda: NodeMapGSR(lr.size(-1), HR_REGIONS), (lr, hr), folds=2,
                       epochs=1, progress=False, baselines=False)


def test_a_dataset_carries_its_groups(runs):
    from torch_gsr.datasets import PairedConnectomes
    lr, hr, ids = runs
    sessions = [source_of(i) for i in ids]
    dataset = PairedConnectomes.from_numpy(lr[:30], hr[:30], groups=sessions[:30])
    assert dataset[0].group == sessions[0]
    assert ConnectomeTensors.from_data(dataset).groups == sessions[:30]
    with pytest.raises(ValueError, match='30 subjects but 29 group labels'):
        PairedConnectomes.from_numpy(lr[:30], hr[:30], groups=sessions[:29])


class GroupsSeen(NodeMapGSR):
    """Records the groups ``initialize`` receives, and what ``refit`` does."""
    refitted_with = None

    def initialize(self, lr_adj, hr_adj, groups=None):
        self.initialized_with = None if groups is None else groups.clone()
        super().initialize(lr_adj, hr_adj, groups)

    def refit(self, lr_adj, hr_adj, groups=None):
        self.refitted_with = (lr_adj.size(0), None if groups is None else groups.clone())


def test_initialize_gets_the_training_groups(runs):
    lr, hr, ids = runs
    model = GroupsSeen(lr.size(-1), HR_REGIONS)
    fit(model, ConnectomeTensors(lr, hr, ids), epochs=1, progress=False, val_fraction=0.4)
    groups = model.initialized_with
    assert groups is not None and int(groups.max()) + 1 == 4  # 6 runs, 2 held out
    assert len(groups) == int(groups.bincount().sum()) and groups.bincount().min() > 1
    # Independent samples: each its own group, nothing passed (the old folds).
    fit(model, (lr[::20], hr[::20]), epochs=1, progress=False, split='groups')
    assert model.initialized_with is None
    # One run's windows in order, held out by blocks: 5 contiguous blocks.
    one_run = [i for i, name in enumerate(ids) if source_of(name) == 'run0']
    with pytest.warns(UserWarning, match='holds out the last'):
        fit(model, (lr[one_run], hr[one_run]), epochs=1, progress=False)
    groups = model.initialized_with
    assert groups.tolist() == sorted(groups.tolist()) and int(groups.max()) == 4


def test_refit_gets_every_training_sample_grouped_as_initialize(runs):
    lr, hr, ids = runs
    model = GroupsSeen(lr.size(-1), HR_REGIONS)
    fit(model, ConnectomeTensors(lr, hr, ids), epochs=1, progress=False, val_fraction=0.4)
    count, groups = model.refitted_with
    assert count == len(ids) and int(groups.max()) + 1 == 6  # the held-out runs too
    fit(model, (lr[::20], hr[::20]), epochs=1, progress=False, split='groups')
    assert model.refitted_with[0] == len(lr[::20]) and model.refitted_with[1] is None
    # One run's windows held out in order: all of them, in 5 contiguous blocks.
    one_run = [i for i, name in enumerate(ids) if source_of(name) == 'run0']
    with pytest.warns(UserWarning, match='holds out the last'):
        fit(model, (lr[one_run], hr[one_run]), epochs=1, progress=False)
    count, groups = model.refitted_with
    assert count == len(one_run) and groups.tolist() == sorted(groups.tolist())
    assert int(groups.max()) == 4
    # A validation set given apart is no training sample: no refit.
    model.refitted_with = None
    fit(model, (lr[::20], hr[::20]), val_dataset=(lr[1::20], hr[1::20]), epochs=1,
        progress=False)
    assert model.refitted_with is None


def test_closed_form_parts_cross_validate_on_whole_groups():
    # Each subject twice, more features than subjects: with rows as groups a
    # copy sits in the other folds, and the smallest penalty looks best.
    generator = torch.Generator().manual_seed(0)
    lr = torch.rand(30, 12, 12, generator=generator)
    lr = (lr + lr.transpose(1, 2)).repeat_interleave(2, 0)
    hr = torch.rand(30, HR_REGIONS, HR_REGIONS, generator=generator)
    hr = (hr + hr.transpose(1, 2)).repeat_interleave(2, 0)
    pairs = torch.arange(60) // 2
    alphas = [1e-3, 1e3]
    small, large = pytest.approx(1e-3), pytest.approx(1e3)  # float32 buffers
    assert float(RidgeMap(12, HR_REGIONS, alphas).fit(lr, hr).alpha) == small
    assert float(RidgeMap(12, HR_REGIONS, alphas).fit(lr, hr, groups=pairs).alpha) == large
    local = LocalRidgeMap(12, HR_REGIONS, neighbours=8, alphas=alphas)
    assert float(local.fit(lr, hr).alpha) == small
    assert float(local.fit(lr, hr, groups=pairs).alpha) == large
    by_row = ridge_residual_scale(lr, hr, 1e-3)
    by_pair = ridge_residual_scale(lr, hr, 1e-3, groups=pairs)
    assert by_pair.mean() > 2 * by_row.mean()  # copies are predicted closely


def test_fold_masks_cover_every_sample_once_and_keep_groups_whole():
    groups = torch.arange(20) // 4  # 5 groups of 4
    for masks in (fold_masks(20, 3, groups, seed=1), fold_masks(20, 3, seed=1)):
        assert len(masks) == 3 and torch.stack(masks).sum(0).eq(1).all()
    for mask in fold_masks(20, 3, groups, seed=1):
        assert all(mask[groups == g].all() or not mask[groups == g].any() for g in range(5))
    assert len(fold_masks(20, 10, groups)) == 5  # no more folds than groups
    with pytest.raises(ValueError, match='at least 2 groups of samples, got 1'):
        fold_masks(6, 5, torch.zeros(6, dtype=torch.long))
