import numpy as np
import pytest

from torch_gsr.datasets import SyntheticConnectomes, synthetic_connectomes


def _upper(adj):
    row, col = np.triu_indices(adj.shape[-1], 1)
    return adj[:, row, col]


def _ridge_vs_mean(x, y, train=70, lam=10.):
    x_mean, y_mean = x[:train].mean(0), y[:train].mean(0)
    xc = x[:train] - x_mean
    alpha = np.linalg.solve(xc @ xc.T + lam * np.eye(train), y[:train] - y_mean)
    pred = (x[train:] - x_mean) @ xc.T @ alpha + y_mean
    return ((pred - y[train:]) ** 2).mean(), ((y_mean - y[train:]) ** 2).mean()


def test_shapes_and_connectome_properties():
    lr, hr = synthetic_connectomes(num_subjects=5, lr_nodes=20, hr_nodes=33, seed=1)
    assert lr.shape == (5, 20, 20) and hr.shape == (5, 33, 33)
    for adj in (lr, hr):
        assert np.allclose(adj, adj.transpose(0, 2, 1))
        assert np.all(np.diagonal(adj, axis1=1, axis2=2) == 1)
        assert adj.min() >= 0 and adj.max() <= 1 + 1e-6


def test_deterministic_per_seed():
    a = synthetic_connectomes(4, 16, 27, seed=3)
    b = synthetic_connectomes(4, 16, 27, seed=3)
    c = synthetic_connectomes(4, 16, 27, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


def test_lr_predicts_subject_specific_hr():
    lr, hr = synthetic_connectomes(num_subjects=100, seed=0)
    x, y = _upper(lr), _upper(hr)
    ridge, mean = _ridge_vs_mean(x, y)
    assert ridge < 0.5 * mean
    # beyond a global scale: each subject's HR divided by its mean edge weight
    ridge, mean = _ridge_vs_mean(x, y / y.mean(1, keepdims=True))
    assert ridge < 0.7 * mean


def test_dataset_wrapper():
    dataset = SyntheticConnectomes(num_subjects=3, lr_nodes=16, hr_nodes=27)
    assert len(dataset) == 3 and dataset[2].subject == 'sim-0002'
    assert dataset[0].lr_adj.shape == (1, 16, 16) and dataset[0].hr_adj.shape == (1, 27, 27)


def _group_contrast(adj, labels):
    """Largest between-group difference of mean edge weight over its std."""
    v = _upper(adj)
    diff = v[labels == 1].mean(0) - v[labels == 0].mean(0)
    return np.sort(diff / v.std(0))[-10:].mean()


def test_group_effect_is_resolved_by_the_hr_atlas_and_diluted_in_lr():
    labels = np.arange(40) % 2
    lr, hr = synthetic_connectomes(40, 20, 40, seed=2, labels=labels, group_effect=3.,
                                   effect_parcels=4)
    lr0, hr0 = synthetic_connectomes(40, 20, 40, seed=2)
    assert np.array_equal(lr[labels == 0], lr0[labels == 0])
    assert np.array_equal(hr[labels == 0], hr0[labels == 0])
    assert _group_contrast(hr, labels) > 1.5 * _group_contrast(lr, labels)
    assert _group_contrast(hr, labels) > 1.4 * _group_contrast(hr0, labels)
    blind_lr, blind_hr = synthetic_connectomes(40, 20, 40, seed=2, labels=labels,
                                               group_effect=3., effect_parcels=4,
                                               lr_visibility=0.)
    assert np.allclose(blind_lr, lr0, atol=1e-5)  # every LR parcel averages it away
    assert _group_contrast(blind_hr, labels) > 1.4 * _group_contrast(hr0, labels)
    with pytest.raises(ValueError, match='labels must have shape'):
        synthetic_connectomes(4, 20, 40, labels=[0, 1])
