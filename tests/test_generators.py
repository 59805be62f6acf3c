import numpy as np
import pytest

from torch_gsr.datasets import (
    SmoothFieldConnectomes,
    WiringConnectomes,
    smooth_field_connectomes,
    wiring_connectomes,
)

SMALL = dict(lr_nodes=8, hr_nodes=14, fine_regions=48)
GENERATORS = [smooth_field_connectomes, wiring_connectomes]


@pytest.mark.parametrize('generate', GENERATORS)
def test_shapes_symmetry_and_range(generate):
    lr, hr = generate(5, seed=0, **SMALL)
    assert lr.shape == (5, 8, 8) and hr.shape == (5, 14, 14)
    assert lr.dtype == hr.dtype == np.float32
    for adj in (lr, hr):
        assert np.array_equal(adj, adj.transpose(0, 2, 1))
        assert adj.min() >= 0 and adj.max() <= 1
        assert np.isfinite(adj).all()
        assert adj.std(axis=0).mean() > 0  # subjects differ


def test_diagonals_follow_each_generators_convention():
    _, hr = smooth_field_connectomes(3, seed=0, **SMALL)
    assert np.allclose(np.diagonal(hr, axis1=1, axis2=2), 1.)
    _, hr = wiring_connectomes(3, seed=0, **SMALL)
    assert np.allclose(np.diagonal(hr, axis1=1, axis2=2), 0.)


@pytest.mark.parametrize('generate', GENERATORS)
def test_seeded(generate):
    first, second = generate(4, seed=3, **SMALL), generate(4, seed=3, **SMALL)
    other = generate(4, seed=4, **SMALL)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize('generate', GENERATORS)
@pytest.mark.parametrize('kwargs,match', [
    (dict(num_subjects=0), 'num_subjects must be an int'),
    (dict(lr_nodes=16, hr_nodes=14), r'hr_nodes \(14\) must be at least lr_nodes'),
    (dict(fine_regions=10), r'fine_regions \(10\) must be at least hr_nodes'),
    (dict(hr_nodes=14.5), 'hr_nodes must be an int'),
    (dict(noise=-1.), 'noise'),
])
def test_bad_arguments(generate, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate(**dict(dict(SMALL, num_subjects=3), **kwargs))


def test_smooth_fields_bad_shape_arguments():
    with pytest.raises(ValueError, match='smoothing must be in'):
        smooth_field_connectomes(3, smoothing=1., **SMALL)
    with pytest.raises(ValueError, match='sharpness'):
        smooth_field_connectomes(3, sharpness=0., **SMALL)


@pytest.mark.parametrize('cls,prefix', [(SmoothFieldConnectomes, 'field-'),
                                        (WiringConnectomes, 'wiring-')])
def test_datasets(cls, prefix):
    dataset = cls(4, 8, 14, seed=2)
    assert len(dataset) == 4
    pair = dataset[1]
    assert pair.subject == f'{prefix}0001'
    assert tuple(pair.lr_adj.shape[-2:]) == (8, 8)
    assert tuple(pair.hr_adj.shape[-2:]) == (14, 14)
