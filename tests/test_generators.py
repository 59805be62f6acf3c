import numpy as np
import pytest
import torch

from torch_gsr.baselines import MeanHR, RidgeRegression
from torch_gsr.datasets import (
    DynamicsConnectomes,
    SmoothFieldConnectomes,
    SyntheticConnectomes,
    WiringConnectomes,
    dynamics_connectomes,
    load_dataset,
    smooth_field_connectomes,
    synthetic_connectomes,
    wiring_connectomes,
)
from torch_gsr.datasets.simulated import dynamics, smooth_fields, synthetic, wiring
from torch_gsr.datasets.simulated.generated import population_and_rng
from torch_gsr.metrics import evaluate_predictions

SMALL = dict(lr_nodes=8, hr_nodes=14, fine_regions=48)
GENERATORS = [smooth_field_connectomes, wiring_connectomes, dynamics_connectomes]


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
    _, hr = dynamics_connectomes(3, seed=0, **SMALL)
    assert np.array_equal(np.diagonal(hr, axis1=1, axis2=2), np.ones((3, 14)))


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


@pytest.mark.parametrize('kwargs,match', [
    (dict(neighbours=48), r'neighbours \(48\) must be less than fine_regions'),
    (dict(neighbours=0), 'neighbours must be an int'),
    (dict(shortcuts=2.5), 'shortcuts must be an int'),
    (dict(subject_shortcuts=-1), 'subject_shortcuts must be an int >= 0'),
    (dict(time_points=1), 'time_points must be at least 2'),
    (dict(weight_spread=-0.1), 'weight_spread must be >= 0'),
    (dict(coupling_spread=float('nan')), 'coupling_spread must be >= 0'),
    (dict(coupling=1.), r'coupling must be in \(0, 1\)'),
    (dict(coupling=0.), r'coupling must be in \(0, 1\)'),
])
def test_dynamics_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dynamics_connectomes(3, **dict(SMALL, **kwargs))


def test_dynamics_negative_correlations_are_thresholded():
    lr, hr = dynamics_connectomes(2, seed=1)  # default sizes: 100 -> 180
    assert lr.shape == (2, 100, 100) and hr.shape == (2, 180, 180)
    for adj in (lr, hr):
        assert (adj == 0).any()  # some correlations were negative
        assert (adj[adj < 1] > 0).any()


def test_dynamics_ridge_beats_the_mean():
    lr, hr = map(torch.from_numpy, dynamics_connectomes(60, 20, 36, seed=0))
    train, test = slice(0, 48), slice(48, None)
    reference = hr[train].double().mean(0)
    mae = [evaluate_predictions(baseline().fit(lr[train], hr[train]).predict(lr[test]),
                                hr[test], reference=reference).summary['mae'][0]
           for baseline in (MeanHR, RidgeRegression)]
    assert mae[1] < 0.8 * mae[0]  # subject-specific signal that LR predicts


@pytest.mark.parametrize('cls,prefix', [(SmoothFieldConnectomes, 'field-'),
                                        (WiringConnectomes, 'wiring-'),
                                        (DynamicsConnectomes, 'dyn-')])
def test_datasets(cls, prefix):
    dataset = cls(4, 8, 14, seed=2)
    assert len(dataset) == 4
    pair = dataset[1]
    assert pair.subject == f'{prefix}0001'
    assert tuple(pair.lr_adj.shape[-2:]) == (8, 8)
    assert tuple(pair.hr_adj.shape[-2:]) == (14, 14)


# The population of each simulator (its draws shared by all subjects) and the
# sizes to draw it with.
POPULATIONS = [
    (synthetic, dict(fine_regions=48, num_networks=3, lr_nodes=8, hr_nodes=14)),
    (smooth_fields, dict(fine_regions=48, num_factors=4, lr_nodes=8, hr_nodes=14)),
    (wiring, dict(fine_regions=48, num_hubs=4, num_tracts=3, lr_nodes=8, hr_nodes=14)),
    (dynamics, dict(fine_regions=48, neighbours=4, shortcuts=5, lr_nodes=8, hr_nodes=14)),
]


@pytest.mark.parametrize('module,sizes', POPULATIONS)
def test_population_is_drawn_by_its_own_seed(module, sizes):
    def draw(seed, population_seed):
        return population_and_rng(lambda rng: module._draw_population(rng, **sizes),
                                  seed, population_seed)

    def equal(a, b):
        return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))

    default, rng = draw(0, 0)
    other_subjects, other_rng = draw(5, 0)
    assert equal(other_subjects, default)  # the subjects' seed leaves it alone
    assert not equal(draw(5, 5)[0], default)  # the population's seed does not
    assert not np.array_equal(rng.standard_normal(4), other_rng.standard_normal(4))


SIMULATORS = [(synthetic_connectomes, dict(lr_nodes=16, hr_nodes=27)),
              (smooth_field_connectomes, SMALL), (wiring_connectomes, SMALL),
              (dynamics_connectomes, SMALL)]


def _mean_edges(adj):
    row, col = np.triu_indices(adj.shape[-1], 1)
    return adj[:, row, col].mean(0)


@pytest.mark.parametrize('generate,sizes', SIMULATORS)
def test_another_subject_seed_gives_new_subjects_of_the_same_population(generate, sizes):
    first = generate(40, seed=1, **sizes)[1]
    second = generate(40, seed=2, **sizes)[1]
    assert not np.array_equal(first[0], second[0])  # other subjects
    # ... of the same population: the same mean HR connectome, up to sampling,
    same = np.corrcoef(_mean_edges(first), _mean_edges(second))[0, 1]
    assert same > 0.9
    # unlike the subjects of another population.
    other = generate(40, seed=1, population_seed=1, **sizes)[1]
    assert np.corrcoef(_mean_edges(first), _mean_edges(other))[0, 1] < 0.5


def test_population_seed_names_the_cached_dataset(tmp_path):
    root = str(tmp_path)
    same = SyntheticConnectomes(3, 8, 14, seed=1, population_seed=1, root=root)
    new_subjects = SyntheticConnectomes(3, 8, 14, seed=1, root=root)
    assert same.processed_file_names != new_subjects.processed_file_names
    assert not torch.equal(same[0].hr_adj, new_subjects[0].hr_adj)
    reloaded = SyntheticConnectomes(3, 8, 14, seed=1, root=root)
    assert torch.equal(reloaded[0].hr_adj, new_subjects[0].hr_adj)
    _, hr = synthetic_connectomes(3, 8, 14, seed=1)
    assert torch.equal(new_subjects[0].hr_adj[0], torch.from_numpy(hr[0]))


def test_load_dataset_passes_the_population_seed():
    dataset = load_dataset(num_subjects=3, lr_nodes=8, hr_nodes=14, seed=1, population_seed=2)
    _, hr = synthetic_connectomes(3, 8, 14, seed=1, population_seed=2)
    assert torch.equal(dataset[2].hr_adj[0], torch.from_numpy(hr[2]))
    _, default_population = synthetic_connectomes(3, 8, 14, seed=1)
    assert not np.array_equal(hr, default_population)
