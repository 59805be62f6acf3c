import os

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from torch_gsr.datasets import (
    ConnectomePair,
    PairedConnectomes,
    clean_connectomes,
    read_challenge_csv,
    read_challenge_mat,
    read_slim,
    read_submission_csv,
    synthetic_connectomes,
    write_challenge_csv,
    write_challenge_mat,
    write_numpy,
    write_slim,
    write_submission_csv,
)

S, NL, NH = 4, 10, 17


@pytest.fixture(scope='module')
def pairs():
    return synthetic_connectomes(S, NL, NH, seed=2)


def _same(dataset, lr, hr, atol=1e-6):
    batch = next(iter(DataLoader(dataset, batch_size=len(dataset))))
    assert batch.lr_adj.shape == (len(lr), NL, NL) and batch.hr_adj.shape == (len(hr), NH, NH)
    assert torch.allclose(batch.lr_adj, torch.as_tensor(lr), atol=atol)
    assert torch.allclose(batch.hr_adj, torch.as_tensor(hr), atol=atol)
    return batch


def test_connectome_pair_sparse_view_and_batching(pairs):
    lr, hr = map(torch.from_numpy, pairs)
    data = ConnectomePair(lr[0], hr[0], subject='a')
    assert data.lr_adj.shape == (1, NL, NL) and data.num_nodes == NL
    assert data.edge_index.size(1) == NL * (NL - 1)  # dense, self-loops removed
    assert (data.edge_index[0] != data.edge_index[1]).all()
    batch = next(iter(DataLoader([data, ConnectomePair(lr[1], hr[1], subject='b')], 2)))
    assert batch.lr_adj.shape == (2, NL, NL) and batch.subject == ['a', 'b']
    assert int(batch.edge_index.max()) == 2 * NL - 1


def test_networkx_round_trip(pairs):
    data = ConnectomePair(torch.from_numpy(pairs[0][0]), torch.from_numpy(pairs[1][0]))
    back = ConnectomePair.from_networkx(data.to_networkx('lr'), data.to_networkx('hr'))
    assert torch.allclose(back.lr_adj, data.lr_adj) and torch.allclose(back.hr_adj, data.hr_adj)


def test_from_numpy_and_caching(tmp_path, pairs):
    dataset = PairedConnectomes.from_numpy(*pairs, subjects=list('abcd'), root=str(tmp_path))
    _same(dataset, *pairs)
    assert dataset[3].subject == 'd'
    cached = [f for f in os.listdir(tmp_path / 'processed') if f.startswith('numpy')]
    assert len(cached) == 1
    again = PairedConnectomes.from_numpy(np.zeros_like(pairs[0]), np.zeros_like(pairs[1]),
                                         root=str(tmp_path))
    _same(again, *pairs)  # same name and cleaning: read from the cache


@pytest.mark.parametrize('suffix', ['.npy', '.npz'])
def test_numpy_files_round_trip(tmp_path, pairs, suffix):
    paths = [str(tmp_path / f'{name}{suffix}') for name in ('lr', 'hr')]
    for path, adj in zip(paths, pairs, strict=True):
        write_numpy(path, adj) if suffix == '.npy' else write_numpy(path, adj=adj)
    _same(PairedConnectomes.from_numpy_files(*paths), *pairs)


@pytest.mark.parametrize('order', ['tril', 'triu'])
def test_challenge_csv_and_mat_round_trip(tmp_path, pairs, order):
    lr_csv, hr_csv = str(tmp_path / 'lr_train.csv'), str(tmp_path / 'hr_train.csv')
    write_challenge_csv(lr_csv, pairs[0], order)
    write_challenge_csv(hr_csv, pairs[1], order)
    with open(lr_csv) as f:
        assert len(f.readline().split(',')) == NL * (NL - 1) // 2
    assert np.allclose(read_challenge_csv(lr_csv, order) + np.eye(NL), pairs[0], atol=1e-6)
    _same(PairedConnectomes.from_challenge(lr_csv, hr_csv, order=order), *pairs)
    lr_mat, hr_mat = str(tmp_path / 'lr.mat'), str(tmp_path / 'hr.mat')
    write_challenge_mat(lr_mat, pairs[0], 'LR', order)
    write_challenge_mat(hr_mat, pairs[1], 'HR', order)
    assert np.allclose(read_challenge_mat(hr_mat, 'HR', order) + np.eye(NH), pairs[1])
    _same(PairedConnectomes.from_challenge(lr_mat, hr_mat, order=order), *pairs)


def test_orders_are_not_interchangeable(tmp_path, pairs):
    path = str(tmp_path / 'lr.csv')
    write_challenge_csv(path, pairs[0], 'triu')
    assert not np.allclose(read_challenge_csv(path, 'tril') + np.eye(NL), pairs[0])


def test_submission_round_trip(tmp_path, pairs):
    path = str(tmp_path / 'submission.csv')
    write_submission_csv(path, pairs[1])
    with open(path) as f:
        assert f.readline().strip() == 'ID,Predicted' and f.readline().startswith('1,')
    assert np.allclose(read_submission_csv(path, NH) + np.eye(NH), pairs[1], atol=1e-6)


def test_slim_round_trip_and_missing_subjects(tmp_path, pairs):
    write_slim(str(tmp_path), *pairs, subjects=['s1', 's2', 's3', 's4'])
    os.remove(tmp_path / 's2' / 'session_1' / 'shen_268' / 'ROI_FC.mat')
    with pytest.warns(UserWarning, match=r"\['s2'\]"):
        lr, hr, subjects = read_slim(str(tmp_path))
    assert subjects == ['s1', 's3', 's4']
    keep = [0, 2, 3]
    assert np.allclose(lr, pairs[0][keep]) and np.allclose(hr, pairs[1][keep])
    with pytest.warns(UserWarning):
        dataset = PairedConnectomes.from_slim(str(tmp_path))
    _same(dataset, pairs[0][keep], pairs[1][keep])
    assert [d.subject for d in dataset] == subjects


def test_cleaning_defaults_and_each_step_off():
    adj = torch.tensor([[[0.5, -0.2], [-0.2, float('nan')]]])
    with pytest.warns(UserWarning, match=r"adj: NaN/inf values replaced by 0 in subjects \[0\]"):
        assert torch.equal(clean_connectomes(adj), torch.tensor([[[1., .2], [.2, 1.]]]))
    with pytest.warns(UserWarning):
        clipped = clean_connectomes(adj, negatives='clip', diagonal=0.)
    assert torch.equal(clipped, torch.tensor([[[0., 0.], [0., 0.]]]))
    assert torch.equal(clean_connectomes(adj, nonfinite=None, diagonal=1., negatives=None),
                       torch.tensor([[[1., -.2], [-.2, 1.]]]))
    asym = torch.tensor([[1., .2], [.4, 1.]])
    assert torch.allclose(clean_connectomes(asym, symmetric=True)[0, 0, 1], torch.tensor(.3))


def test_cleaning_off_raises_with_subject_named(pairs):
    lr, hr = (a.copy() for a in pairs)
    lr[2, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r"lr \(subject 'c'\).*NaN"):
        PairedConnectomes.from_numpy(lr, hr, subjects=list('abcd'), clean=False)
    hr[1, 0, 1] += 0.5
    with pytest.raises(ValueError, match=r"hr \(subject 'b'\).*not symmetric"):
        PairedConnectomes.from_numpy(pairs[0], hr, subjects=list('abcd'))
    with pytest.raises(ValueError, match='unknown cleaning steps'):
        PairedConnectomes.from_numpy(*pairs, clean={'abs': True})


def test_bad_files_are_named(tmp_path, pairs):
    missing = str(tmp_path / 'nope.csv')
    with pytest.raises(FileNotFoundError, match='nope.csv'):
        PairedConnectomes.from_challenge(missing, missing)
    garbage = tmp_path / 'garbage.csv'
    garbage.write_text('h\n1,x,3\n')
    with pytest.raises(ValueError, match='garbage.csv.*parsed'):
        read_challenge_csv(str(garbage))
    wrong = tmp_path / 'wrong.csv'
    wrong.write_text('a,b,c,d\n1,2,3,4\n')
    with pytest.raises(ValueError, match=r'wrong.csv has 4 values.*N = 3 would give 3'):
        read_challenge_csv(str(wrong))
    lr_csv, hr_csv = str(tmp_path / 'lr.csv'), str(tmp_path / 'hr.csv')
    write_challenge_csv(lr_csv, pairs[0])
    write_challenge_csv(hr_csv, pairs[1][:3])
    with pytest.raises(ValueError, match=r'lr.csv has 4 subjects but .*hr.csv has 3'):
        PairedConnectomes.from_challenge(lr_csv, hr_csv)
    mat = str(tmp_path / 'x.mat')
    write_challenge_mat(mat, pairs[0], 'LR')
    with pytest.raises(ValueError, match=r"x.mat: has no variable 'HR'"):
        read_challenge_mat(mat, 'HR')
    bad_mat = tmp_path / 'bad.mat'
    bad_mat.write_bytes(b'not a mat file at all')
    with pytest.raises(ValueError, match='bad.mat'):
        read_challenge_mat(str(bad_mat), 'LR')


def test_slim_non_square_file_named(tmp_path, pairs):
    write_slim(str(tmp_path), *pairs, subjects=['s1', 's2', 's3', 's4'])
    from torch_gsr.datasets import write_mat
    write_mat(str(tmp_path / 's3' / 'session_1' / 'Dosenbach_160' / 'ROI_FC.mat'),
              {'r': np.zeros((NL, NL + 1))})
    with pytest.raises(ValueError, match=r's3.*Dosenbach_160.*square'):
        read_slim(str(tmp_path))


def test_failed_processing_leaves_nothing_in_processed(tmp_path, pairs):
    lr = pairs[0].copy()
    lr[3, 1, 2] = np.inf
    with pytest.raises(ValueError, match="subject '3'"):
        PairedConnectomes.from_numpy(lr, pairs[1], root=str(tmp_path), clean=False)
    assert os.listdir(tmp_path / 'processed') == []

    def failing_transform(data):
        if data.subject == '2':
            raise RuntimeError('boom')
        return data
    with pytest.raises(RuntimeError, match='boom'):
        PairedConnectomes.from_numpy(*pairs, root=str(tmp_path), pre_transform=failing_transform)
    assert os.listdir(tmp_path / 'processed') == []


def test_pre_filter_and_lr_only(pairs):
    dataset = PairedConnectomes.from_numpy(*pairs, pre_filter=lambda d: d.subject != '1')
    assert [d.subject for d in dataset] == ['0', '2', '3']
    lr_only = PairedConnectomes.from_numpy(pairs[0])
    assert lr_only[0].get('hr_adj') is None and lr_only[0].lr_adj.shape == (1, NL, NL)


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    from torch_gsr.datasets import write_numpy
    path = tmp_path / 'lr.npy'
    write_numpy(str(path), np.zeros((2, 3, 3)))
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)


def test_write_slim_rejects_mismatched_counts(tmp_path, pairs):
    from torch_gsr.datasets import write_slim
    with pytest.raises(ValueError, match='4 LR, 4 HR and 3 subject ids'):
        write_slim(str(tmp_path), *pairs, subjects=['a', 'b', 'c'])
    assert not any(tmp_path.iterdir())
