import math

import networkx as nx
import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
import torch

from torch_gsr.metrics import (
    Evaluation,
    centrality_errors,
    evaluate_predictions,
    interval_coverage,
    interval_width,
    jensen_shannon_distance,
    mean_absolute_error,
    mean_squared_error,
    node_centralities,
    pearson_correlation,
    residual_pearson_correlation,
)


def random_connectomes(num_subjects, num_nodes, seed, low=0.0):
    rng = np.random.default_rng(seed)
    adj = rng.uniform(low, 1.0, size=(num_subjects, num_nodes, num_nodes))
    adj = (adj + adj.transpose(0, 2, 1)) / 2
    adj[:, np.arange(num_nodes), np.arange(num_nodes)] = 0
    return adj


def upper(adj):
    return adj[np.triu_indices(adj.shape[-1], 1)]


# Two 3-node subjects; upper triangles (0,1), (0,2), (1,2).
TARGET = torch.tensor([[[0., 1., 2.], [1., 0., 3.], [2., 3., 0.]],
                       [[0., 1., 1.], [1., 0., 1.], [1., 1., 0.]]])
PRED = torch.tensor([[[9., 2., 2.], [2., 9., 5.], [2., 5., 9.]],
                     [[0., 0., 1.], [0., 0., 4.], [1., 4., 0.]]])


def test_elementwise_metrics_hand_computed():
    # Subject 0 errors: (1, 0, 2); subject 1: (-1, 0, 3). Diagonal ignored.
    assert torch.allclose(mean_squared_error(PRED, TARGET),
                          torch.tensor([5 / 3, 10 / 3], dtype=torch.float64))
    assert torch.allclose(mean_absolute_error(PRED, TARGET),
                          torch.tensor([1.0, 4 / 3], dtype=torch.float64))
    # Subject 0: pred (2, 2, 5) vs target (1, 2, 3): centred (-1,-1,2), (-1,0,1).
    expected = 3 / math.sqrt(6 * 2)
    assert pearson_correlation(PRED, TARGET)[0].item() == pytest.approx(expected)
    # Constant target edges: no correlation, as in scipy.
    assert math.isnan(pearson_correlation(PRED, TARGET)[1].item())


def test_full_matrix_option_includes_diagonal():
    # Subject 0: off-diagonal squared errors (1, 0, 4) twice + 3 * 81 on the diagonal.
    mse = mean_squared_error(PRED, TARGET, upper_triangle=False)
    assert mse[0].item() == pytest.approx((2 * 5 + 3 * 81) / 9)
    assert mse[1].item() == pytest.approx(2 * 10 / 9)


def test_jensen_shannon_hand_computed():
    # p = (1, 0), q = (0, 1): disjoint supports, divergence ln 2 (1 in base 2).
    pred = torch.tensor([[[0., 1., 0.], [1., 0., 0.], [0., 0., 0.]]])
    target = torch.tensor([[[0., 0., 1.], [0., 0., 0.], [1., 0., 0.]]])
    assert jensen_shannon_distance(pred, target).item() == pytest.approx(
        math.sqrt(math.log(2)))
    assert jensen_shannon_distance(pred, target, base=2).item() == pytest.approx(1.0)
    assert jensen_shannon_distance(target, target).item() == pytest.approx(0.0)
    # Scaling does not change a distribution.
    assert jensen_shannon_distance(5 * target, target).item() == pytest.approx(0.0)
    assert math.isnan(jensen_shannon_distance(0 * pred, target).item())


@pytest.mark.parametrize('base', [None, 2])
def test_elementwise_metrics_match_scipy(base):
    pred = random_connectomes(4, 7, seed=0, low=-0.3)
    target = random_connectomes(4, 7, seed=1)
    jsd = jensen_shannon_distance(pred, target, base=base)
    pcc = pearson_correlation(torch.from_numpy(pred).float(), target)
    for i in range(4):
        x, y = upper(pred[i]), upper(target[i])
        assert jsd[i].item() == pytest.approx(
            scipy.spatial.distance.jensenshannon(np.clip(x, 0, None), y, base=base))
        assert pcc[i].item() == pytest.approx(scipy.stats.pearsonr(x, y)[0], abs=1e-6)


def test_node_centralities_match_networkx():
    adj = random_connectomes(1, 6, seed=2)[0]
    adj[0, 3] = adj[3, 0] = 0  # a missing edge must stay missing
    graph = nx.Graph()
    for i in range(6):
        for j in range(i + 1, 6):
            if adj[i, j] > 0:
                graph.add_edge(i, j, weight=adj[i, j])
    values = node_centralities(adj)
    expected = {
        'betweenness': nx.betweenness_centrality(graph, weight='weight'),
        'eigenvector': nx.eigenvector_centrality(graph, weight='weight'),
        'pagerank': nx.pagerank(graph, weight='weight'),
    }
    for name, by_node in expected.items():
        np.testing.assert_allclose(values[name], [by_node[n] for n in range(6)])


def test_centrality_errors_are_per_subject_maes():
    pred = random_connectomes(3, 6, seed=3, low=-0.2)
    target = random_connectomes(3, 6, seed=4)
    pred[1, np.arange(6), np.arange(6)] = 0.7  # diagonal is not an edge here
    errors = centrality_errors(pred, target)
    for i in range(3):
        off_diagonal = np.clip(pred[i], 0, None)
        np.fill_diagonal(off_diagonal, 0)
        c_pred = node_centralities(off_diagonal)
        c_target = node_centralities(target[i])
        for name in ('betweenness', 'eigenvector', 'pagerank'):
            assert errors[f'{name}_mae'][i].item() == pytest.approx(
                np.abs(c_pred[name] - c_target[name]).mean())
    assert errors['pagerank_mae'].shape == (3,)


def reference_challenge(pred, target):
    # Direct reimplementation of the challenge's evaluation.
    pred = pred.copy()
    pred[pred < 0] = 0
    bc, ec, pc = [], [], []
    for p, t in zip(pred, target, strict=True):
        gp = nx.from_numpy_array(p, edge_attr='weight')
        gt = nx.from_numpy_array(t, edge_attr='weight')
        for out, fn in ((bc, nx.betweenness_centrality),
                        (ec, nx.eigenvector_centrality), (pc, nx.pagerank)):
            a = list(fn(gp, weight='weight').values())
            b = list(fn(gt, weight='weight').values())
            out.append(np.mean(np.abs(np.array(a) - np.array(b))))
    x = np.concatenate([upper(p) for p in pred])
    y = np.concatenate([upper(t) for t in target])
    return {
        'mae': np.mean(np.abs(x - y)),
        'pcc': scipy.stats.pearsonr(x, y)[0],
        'jsd': scipy.spatial.distance.jensenshannon(x, y),
        'betweenness_mae': np.mean(bc),
        'eigenvector_mae': np.mean(ec),
        'pagerank_mae': np.mean(pc),
    }


@pytest.mark.parametrize('num_workers', [0, 2])
def test_challenge_protocol_matches_reference(num_workers):
    pred = random_connectomes(3, 8, seed=5, low=-0.4)
    target = random_connectomes(3, 8, seed=6)
    pred[0, 2, 2] = 0.5  # the challenge keeps the diagonal (a self-loop)
    result = evaluate_predictions(pred, target, protocol='challenge',
                                  num_workers=num_workers)
    expected = reference_challenge(pred, target)
    assert set(result.summary) == set(expected)
    for name, value in expected.items():
        assert result.summary[name][0] == pytest.approx(value, rel=1e-9), name
    for name in ('mae', 'pcc', 'jsd'):
        assert math.isnan(result.summary[name][1])
    assert result.per_subject['betweenness_mae'].shape == (3,)


def test_protocols_differ_pooled_vs_per_subject():
    # Target = shared edge pattern + a subject-specific offset; predicting
    # the pattern alone is perfect per subject (PCC is affine-invariant) but
    # not pooled, where the offsets are variance left unexplained.
    pattern = random_connectomes(1, 8, seed=7)
    offsets = np.array([0.0, 0.5, 1.0, 1.5])[:, None, None]
    target = pattern + offsets
    pred = np.repeat(pattern, 4, axis=0)
    subject = evaluate_predictions(pred, target)
    challenge = evaluate_predictions(pred, target, protocol='challenge',
                                     topology=False)
    assert subject.summary['pcc'] == (pytest.approx(1.0), pytest.approx(0.0))
    assert challenge.summary['pcc'][0] < 0.5
    # A pooled MAE is the mean of the per-subject MAEs (equal edge counts).
    assert challenge.summary['mae'][0] == pytest.approx(subject.summary['mae'][0])


def test_subject_protocol_summary_and_row():
    pred = torch.from_numpy(random_connectomes(5, 6, seed=8)).float()
    target = torch.from_numpy(random_connectomes(5, 6, seed=9)).float()
    result = evaluate_predictions(pred, target, topology=True, progress=True)
    assert isinstance(result, Evaluation)
    assert result.protocol == 'subject' and result.num_subjects == 5
    assert set(result.summary) == {'mse', 'mae', 'pcc', 'jsd', 'betweenness_mae',
                                   'eigenvector_mae', 'pagerank_mae'}
    mse = mean_squared_error(pred, target)
    assert torch.allclose(result.per_subject['mse'], mse)
    assert result.summary['mse'] == (pytest.approx(mse.mean().item()),
                                     pytest.approx(mse.std(correction=0).item()))
    row = result.row()
    assert row['jsd_mean'] == result.summary['jsd'][0]
    assert row['pagerank_mae_std'] == result.summary['pagerank_mae'][1]
    assert len(row) == 14
    assert 'betweenness_mae' not in evaluate_predictions(pred, target).summary


def test_bad_inputs_raise():
    pred = torch.rand(3, 5, 5)
    with pytest.raises(ValueError, match=r'\[3, 5, 5\].*\[3, 6, 6\]'):
        evaluate_predictions(pred, torch.rand(3, 6, 6))
    bad = pred.clone()
    bad[2, 1, 0] = float('nan')
    with pytest.raises(ValueError, match='pred.*subject index 2.*NaN or inf'):
        evaluate_predictions(bad, pred)
    bad[2, 1, 0] = float('inf')
    with pytest.raises(ValueError, match='target.*subject index 2'):
        mean_absolute_error(pred, bad)
    with pytest.raises(ValueError, match='protocol'):
        evaluate_predictions(pred, pred, protocol='kaggle')
    with pytest.raises(ValueError, match='upper_triangle'):
        evaluate_predictions(pred, pred, protocol='challenge', upper_triangle=False)
    with pytest.raises(ValueError, match='num_workers'):
        evaluate_predictions(pred, pred, topology=True, num_workers=-1)


# --- residual PCC -----------------------------------------------------------

REFERENCE = torch.tensor([[0., 1., 1.], [1., 0., 1.], [1., 1., 0.]])


def test_residual_pcc_hand_computed():
    # Residual upper triangles from REFERENCE: target [0, 1, 2] and [0, 0, 0];
    # pred [1, 1, 4] and [-1, 0, 3].
    values = residual_pearson_correlation(PRED, TARGET, REFERENCE)
    x, y = np.array([1., 1., 4.]), np.array([0., 1., 2.])
    assert values[0].item() == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert values[1].item() == 0  # constant target residual: no signal


def test_residual_pcc_signs_and_the_mean_predictor():
    target = torch.from_numpy(random_connectomes(4, 6, seed=1))
    reference = torch.from_numpy(random_connectomes(1, 6, seed=2))[0]
    deviation = target - reference
    assert torch.allclose(residual_pearson_correlation(
        reference + 0.3 * deviation, target, reference), torch.ones(4, dtype=torch.float64))
    assert torch.allclose(residual_pearson_correlation(
        reference - deviation, target, reference), -torch.ones(4, dtype=torch.float64))
    # A float32 copy of the reference (MeanHR's prediction) carries nothing.
    mean = reference.float().expand(4, 6, 6)
    assert torch.equal(residual_pearson_correlation(mean, target, reference),
                       torch.zeros(4, dtype=torch.float64))


def test_evaluate_predictions_adds_residual_pcc_only_with_a_reference():
    plain = evaluate_predictions(PRED, TARGET)
    assert 'residual_pcc' not in plain.summary
    for protocol in ('subject', 'challenge'):
        with_reference = evaluate_predictions(PRED, TARGET, protocol=protocol,
                                              topology=False,
                                              reference=REFERENCE[None])
        assert with_reference.per_subject['residual_pcc'].shape == (2,)
    assert 'residual_pcc_mean' in with_reference.row()


def test_residual_pcc_bad_reference():
    with pytest.raises(ValueError, match=r'reference must be one \[N, N\]'):
        residual_pearson_correlation(PRED, TARGET, torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r'reference must be one \[N, N\]'):
        evaluate_predictions(PRED, TARGET, reference=torch.zeros(2, 3, 3))
    bad = REFERENCE.clone()
    bad[0, 1] = float('nan')
    with pytest.raises(ValueError, match='reference.*NaN or inf'):
        residual_pearson_correlation(PRED, TARGET, bad)


def test_interval_coverage_and_width_hand_computed():
    target = torch.tensor([[[1., .2, .5], [.2, 1., .9], [.5, .9, 1.]]])
    lower = torch.full((1, 3, 3), .3)
    upper = torch.full((1, 3, 3), .6)
    # Upper-triangle edges .2, .5, .9: only .5 inside; width .3 everywhere.
    assert interval_coverage(lower, upper, target).tolist() == pytest.approx([1 / 3])
    assert interval_width(lower, upper).tolist() == pytest.approx([.3])
    # Every entry: .5 twice of nine (the diagonal's 1 is outside).
    assert interval_coverage(lower, upper, target, upper_triangle=False).tolist() == \
        pytest.approx([2 / 9])
    assert interval_coverage(lower.numpy(), upper.numpy(), target.numpy()).dtype == torch.float64


def test_interval_metrics_name_mismatched_shapes():
    bounds = torch.zeros(2, 4, 4)
    with pytest.raises(ValueError, match='lower has shape .* but upper'):
        interval_width(bounds, torch.zeros(2, 5, 5))
    with pytest.raises(ValueError, match='but target has shape'):
        interval_coverage(bounds, bounds, torch.zeros(1, 4, 4))
