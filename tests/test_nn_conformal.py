import math

import pytest
import torch
from scipy.stats import t

from torch_gsr.metrics import interval_coverage
from torch_gsr.nn import ConformalIntervals
from torch_gsr.utils.vectorize import unvectorize


def coverage(lower, upper, hr):
    return float(interval_coverage(lower, upper, hr).mean())


def symmetric(upper_values):
    return unvectorize(torch.tensor(upper_values, dtype=torch.float), 'triu')


def test_one_subject_gives_the_finite_sample_ranks():
    intervals = ConformalIntervals(levels=100)
    hr = symmetric([list(range(1, 11))])  # one subject, 10 edges
    prediction = torch.zeros_like(hr)
    with pytest.raises(RuntimeError, match='calibrate'):
        intervals.quantile(0.9)
    assert intervals.calibrate(prediction, torch.ones_like(hr), hr) == 10
    assert float(intervals.quantile(0.9)) == 10.  # ceil(11 * 0.9) = 10th
    assert float(intervals.quantile(0.5)) == 6.   # ceil(5.5) = 6th
    assert float(intervals.quantile(0.905)) == math.inf  # ceil(11 * 0.91) = 11 > n
    lower, upper = intervals(prediction, 2 * torch.ones_like(hr), 0.5)
    assert float(upper.max()) == 12. and float(lower.min()) == -12.
    state = intervals.state_dict()
    fresh = ConformalIntervals(levels=100)
    fresh.load_state_dict(state)
    assert fresh.calibrated and float(fresh.quantile(0.5)) == 6.


def test_the_bound_by_hand():
    # Two subjects of 10 edges; scores 1..10 and 11..20. At q = 15 the shares
    # (counting a new edge as missed) are 10/11 and 5/11.
    hr = symmetric([list(range(1, 11)), list(range(11, 21))])
    prediction, scale = torch.zeros_like(hr), torch.ones_like(hr)
    mean = ConformalIntervals(levels=100, confidence=0.5)
    mean.calibrate(prediction, scale, hr)
    # Mean share 15/22 = 0.682 first reaches 0.68 at q = 15.
    assert float(mean.quantile(0.68)) == 15.
    bounded = ConformalIntervals(levels=100, confidence=0.9)
    bounded.calibrate(prediction, scale, hr)
    q = float(bounded.quantile(0.3))
    shares = torch.tensor([[min(q, 10), max(q - 10, 0)]], dtype=torch.float64) / 11
    bound = shares.mean() - t.ppf(0.9, 1) * shares.std() / math.sqrt(2)
    below = (torch.tensor([[min(q - 1, 10), max(q - 11, 0)]], dtype=torch.float64) / 11)
    assert bound >= 0.3 > below.mean() - t.ppf(0.9, 1) * below.std() / math.sqrt(2)


def test_bad_input_and_options():
    hr = symmetric([list(range(1, 11))])
    intervals = ConformalIntervals(levels=100)
    intervals.calibrate(torch.zeros_like(hr), torch.ones_like(hr), hr)
    with pytest.raises(ValueError, match='coverage'):
        intervals.quantile(1.0)
    with pytest.raises(ValueError, match='positive'):
        intervals.calibrate(torch.zeros_like(hr), torch.zeros_like(hr), hr)
    with pytest.raises(ValueError, match='shape'):
        intervals.calibrate(torch.zeros_like(hr), torch.ones(1, 4, 4), hr)
    for confidence in (0.4, 1.0, True, '0.9'):
        with pytest.raises(ValueError, match='confidence'):
            ConformalIntervals(confidence=confidence)
    assert 'confidence=0.9' in repr(ConformalIntervals())


def expected_coverages(confidence, draws=150, calibration=5, nodes=16):
    # Subjects differ in their noise level (log-normal), so subjects rather
    # than edges are exchangeable. Per draw: calibrate on `calibration`
    # subjects, then the coverage expected on a new subject (40 of them).
    generator = torch.Generator().manual_seed(0)

    def subjects(count):
        level = torch.exp(0.3 * torch.randn(count, 1, 1, generator=generator))
        noise = level * torch.randn(count, nodes, nodes, generator=generator)
        return noise + noise.transpose(1, 2)

    intervals, expected = ConformalIntervals(confidence=confidence), []
    for _ in range(draws):
        hr = subjects(calibration)
        intervals.calibrate(torch.zeros_like(hr), torch.ones_like(hr), hr)
        new = subjects(40)
        expected.append(coverage(*intervals(torch.zeros_like(new), torch.ones_like(new)), new))
    return torch.tensor(expected)


def test_new_subjects_are_covered_with_the_stated_confidence():
    # The guarantee is on a new subject's share of covered edges, with
    # confidence over the calibration draw: about 90% of draws reach 0.9
    # with the default, about half with confidence 0.5 (the mean share).
    bounded, mean = expected_coverages(0.9), expected_coverages(0.5)
    assert float((bounded >= 0.9).double().mean()) >= 0.8
    assert 0.3 <= float((mean >= 0.9).double().mean()) <= 0.7
    assert 0.89 <= float(mean.mean()) <= 0.92 < float(bounded.mean())


def test_a_group_is_one_unit():
    # Every subject twice: as two groups of two copies the calibration is the
    # single subjects' (the copies add no evidence); as four independent
    # subjects it would claim more confidence than the data hold.
    gen = torch.Generator().manual_seed(3)
    hr = symmetric(torch.rand(2, 45, generator=gen) * torch.tensor([[1.], [3.]]))
    prediction, scale = torch.zeros_like(hr), torch.ones_like(hr)
    single, grouped, rows = (ConformalIntervals(levels=20) for _ in range(3))
    single.calibrate(prediction, scale, hr)
    twice = (prediction.repeat(2, 1, 1), scale.repeat(2, 1, 1), hr.repeat(2, 1, 1))
    grouped.calibrate(*twice, groups=torch.tensor([0, 1, 0, 1]))
    rows.calibrate(*twice)
    assert torch.equal(grouped.quantiles, single.quantiles)
    assert float(rows.quantile(0.9)) < float(single.quantile(0.9))
