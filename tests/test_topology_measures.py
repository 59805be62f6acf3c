"""Topological measures (torch_gsr.metrics.graph_measures, network_measures,
topology_errors) against networkx, hand-computed values and the DEFEND
release's own data/topo_metric.py."""
import random

import networkx as nx
import numpy as np
import pytest
import torch
from official.releases import release_module

import torch_gsr.metrics.measure_errors as measure_errors
from torch_gsr.metrics import (
    TOPOLOGY_MEASURES,
    betweenness_centrality,
    binarize,
    clustering_coefficient,
    degree_centrality,
    eigenvector_centrality,
    evaluate_predictions,
    louvain_partition,
    node_strength,
    pagerank,
    participation_coefficient,
    small_worldness,
    topology_errors,
    topology_measures,
)

pytestmark = pytest.mark.usefixtures('one_thread')


def weighted_graphs(num_subjects=2, num_nodes=12, seed=0, sparsity=0.3):
    """Symmetric weights in [0, 1) with about ``sparsity`` of them 0."""
    rng = np.random.default_rng(seed)
    adj = rng.uniform(size=(num_subjects, num_nodes, num_nodes))
    adj = (adj + adj.transpose(0, 2, 1)) / 2
    adj[adj < sparsity] = 0
    adj[:, np.arange(num_nodes), np.arange(num_nodes)] = 0
    return adj


def in_node_order(values, num_nodes):
    return np.array([values[node] for node in range(num_nodes)])


def test_dense_measures_match_networkx():
    adj = weighted_graphs()
    measures = {'strength': node_strength(adj), 'degree': degree_centrality(adj),
                'clustering': clustering_coefficient(adj),
                'eigenvector': eigenvector_centrality(adj), 'pagerank': pagerank(adj)}
    for index, subject in enumerate(adj):
        graph = nx.from_numpy_array(subject)
        expected = {
            'strength': dict(graph.degree(weight='weight')),
            'degree': nx.degree_centrality(graph),
            'clustering': nx.clustering(graph, weight='weight'),
            # The exact solvers of networkx (scipy), not its power iterations.
            'eigenvector': nx.eigenvector_centrality_numpy(graph, weight='weight'),
            'pagerank': nx.pagerank(graph, weight='weight', tol=1e-14),
        }
        for name, values in expected.items():
            # Tolerance 1e-10: the same definitions, rounding apart.
            np.testing.assert_allclose(measures[name][index].numpy(),
                                       in_node_order(values, 12), atol=1e-10,
                                       err_msg=name)


@pytest.mark.parametrize('distance', ['weight', 'inverse', 'hops'])
def test_betweenness_matches_networkx(distance):
    adj = weighted_graphs(num_subjects=1)
    graph = nx.from_numpy_array(adj[0])
    for _, _, data in graph.edges(data=True):
        data['d'] = {'weight': data['weight'], 'inverse': 1 / data['weight'],
                     'hops': 1}[distance]
    expected = nx.betweenness_centrality(graph, weight='d')
    np.testing.assert_allclose(betweenness_centrality(adj, distance)[0].numpy(),
                               in_node_order(expected, 12), atol=1e-12)
    with pytest.raises(ValueError, match='distance must be one of'):
        betweenness_centrality(adj, 'length')


def test_binarize_keeps_the_strongest_share_of_edges():
    adj = weighted_graphs(num_subjects=3, num_nodes=10, sparsity=0)
    binary = binarize(adj, density=0.2)
    assert torch.equal(binary, binary.transpose(-1, -2))
    assert torch.all(torch.diagonal(binary, dim1=-2, dim2=-1) == 0)
    upper = np.triu_indices(10, 1)
    for index in range(3):
        kept = binary[index].numpy()[upper] == 1
        assert kept.sum() == 9  # round(0.2 * 45)
        assert adj[index][upper][kept].min() > adj[index][upper][~kept].max()
    # Fewer positive weights than the share: only those.
    sparse = np.zeros((10, 10))
    sparse[0, 1] = sparse[1, 0] = 0.5
    assert binarize(sparse, density=0.5).sum() == 2
    for density in (0, 1.5, True):
        with pytest.raises(ValueError, match='density'):
            binarize(adj, density)


def test_participation_coefficient_hand_computed():
    # Node 0 links to 1, 2 (module 0) and 3 (module 1); node 3 to 0 and 4.
    adj = np.zeros((5, 5))
    for i, j in ((0, 1), (0, 2), (1, 2), (0, 3), (3, 4)):
        adj[i, j] = adj[j, i] = 1
    partition = torch.tensor([0, 0, 0, 1, 1])
    values = participation_coefficient(adj, partition)[0]
    expected = [1 - (2 / 3) ** 2 - (1 / 3) ** 2, 0, 0, 1 - 0.25 - 0.25, 0]
    np.testing.assert_allclose(values.numpy(), expected, atol=1e-12)
    own = participation_coefficient(adj, partition, own_module_only=True)[0]
    np.testing.assert_allclose(own.numpy(), [1 - (2 / 3) ** 2, 0, 0, 0.75, 0],
                               atol=1e-12)
    with pytest.raises(ValueError, match='partition must hold'):
        participation_coefficient(adj, torch.tensor([0, 0, 1]))


def test_louvain_partition_is_seeded_networkx_louvain():
    binary = binarize(weighted_graphs(num_nodes=16, sparsity=0), density=0.3)
    labels = louvain_partition(binary, seed=3)
    assert torch.equal(labels, louvain_partition(binary, seed=3))
    for index in range(2):
        modules = nx.community.louvain_communities(
            nx.from_numpy_array(binary[index].numpy()), seed=3 + index)
        found = {frozenset(np.flatnonzero(labels[index].numpy() == label))
                 for label in labels[index].unique().tolist()}
        assert found == {frozenset(module) for module in modules}


def test_small_worldness_of_a_lattice_and_its_errors():
    # A ring lattice (k = 4) is clustered (C = 1/2) with long paths.
    ring = nx.to_numpy_array(nx.watts_strogatz_graph(30, 4, 0.0))
    value = small_worldness(ring, seed=1).item()
    rng = random.Random(1)
    while True:
        reference = nx.gnm_random_graph(30, 60, seed=rng)
        if nx.is_connected(reference):
            break
    expected = (0.5 / nx.average_clustering(reference)) / (
        nx.average_shortest_path_length(nx.from_numpy_array(ring))
        / nx.average_shortest_path_length(reference))
    assert value == pytest.approx(expected, rel=1e-12)
    assert torch.isnan(small_worldness(np.eye(4) * 0)).all()  # no edges
    with pytest.raises(ValueError, match='no connected G'):
        small_worldness(nx.to_numpy_array(nx.path_graph(6)), max_tries=1)


def test_topology_errors_are_per_subject_errors_of_the_measures(monkeypatch):
    pred = weighted_graphs(num_subjects=3, num_nodes=14, seed=1, sparsity=0)
    target = weighted_graphs(num_subjects=3, num_nodes=14, seed=2, sparsity=0)
    errors = topology_errors(pred, target, 'all', density=0.3, seed=5)
    assert set(errors) == {f'{name}_mae' for name in TOPOLOGY_MEASURES[:-1]} | \
        {'small_worldness_error'}
    mine = topology_measures(pred, density=0.3, seed=5)
    theirs = topology_measures(target, density=0.3, seed=5)
    for name in TOPOLOGY_MEASURES[:-1]:
        expected = (mine[name] - theirs[name]).abs().mean(dim=1)
        assert torch.allclose(errors[f'{name}_mae'], expected, atol=1e-12), name
    assert torch.allclose(errors['small_worldness_error'],
                          (mine['small_worldness'] - theirs['small_worldness']).abs())
    same = topology_errors(target, target, 'all', density=0.3)
    assert torch.all(same['small_worldness_error'] == 0)
    # Worker processes, CHUNK subjects each, give the same numbers.
    monkeypatch.setattr(measure_errors, 'CHUNK', 2)
    parallel = topology_errors(pred, target, ['participation', 'small_worldness'],
                               density=0.3, seed=5, num_workers=1)
    assert torch.equal(parallel['participation_mae'], errors['participation_mae'])
    assert torch.equal(parallel['small_worldness_error'], errors['small_worldness_error'])
    with pytest.raises(ValueError, match=r"unknown topological measure\(s\) \['nope'\]"):
        topology_errors(pred, target, ['strength', 'nope'])
    with pytest.raises(TypeError, match='topology must be'):
        topology_errors(pred, target, 3)


def test_evaluate_predictions_reports_named_measures_on_request():
    pred = weighted_graphs(num_subjects=3, num_nodes=10, seed=3, sparsity=0)
    target = weighted_graphs(num_subjects=3, num_nodes=10, seed=4, sparsity=0)
    plain = evaluate_predictions(pred, target)
    named = evaluate_predictions(pred, target, topology=['strength', 'small_worldness'])
    assert set(named.summary) - set(plain.summary) == {'strength_mae',
                                                        'small_worldness_error'}
    assert all(named.summary[key] == value for key, value in plain.summary.items())
    expected = topology_errors(pred, target, ['strength'])['strength_mae']
    assert torch.equal(named.per_subject['strength_mae'], expected)
    challenge = evaluate_predictions(pred, target, protocol='challenge')
    assert 'pagerank_mae' in challenge.summary  # True: the challenge's three
    with pytest.raises(ValueError, match='unknown topological measure'):
        evaluate_predictions(pred, target, topology=['small-worldness'])


# --- the DEFEND release's data/topo_metric.py ------------------------------

@pytest.fixture
def defend():
    return release_module('defend', 'data.topo_metric')


def test_binary_measures_match_the_defend_release(defend, monkeypatch):
    binary = binarize(weighted_graphs(num_subjects=1, num_nodes=16, sparsity=0), 0.3)
    graph = nx.from_numpy_array(binary[0].numpy())
    pairs = {'degree': (degree_centrality(binary), defend.node_degree_centrality),
             'clustering': (clustering_coefficient(binary), defend.clustering_coefficient),
             'betweenness': (betweenness_centrality(binary, 'hops'),
                             defend.betweenness_centrality)}
    for name, (mine, theirs) in pairs.items():
        np.testing.assert_allclose(mine[0].numpy(), in_node_order(theirs(graph), 16),
                                   atol=1e-12, err_msg=name)
    # The release iterates to networkx's default tolerance (1e-6 * N in sum).
    np.testing.assert_allclose(eigenvector_centrality(binary)[0].numpy(),
                               in_node_order(defend.eigenvector_centrality(graph), 16),
                               atol=1e-5)
    # Its Louvain (python-louvain) replaced by the partition both receive.
    labels = louvain_partition(binary, seed=0)[0]
    monkeypatch.setattr(defend.community, 'best_partition',
                        lambda g: {node: int(labels[node]) for node in g.nodes})
    theirs = in_node_order(defend.participation_coefficient(graph), 16)
    mine = participation_coefficient(binary, labels, own_module_only=True)[0]
    np.testing.assert_allclose(mine.numpy(), theirs, atol=1e-12)
    assert not np.allclose(participation_coefficient(binary, labels)[0].numpy(), theirs)


def test_small_worldness_matches_the_defend_release(defend):
    # A disconnected graph: both measure its largest component. The release
    # draws its reference from the global random module.
    binary = binarize(weighted_graphs(num_subjects=1, num_nodes=18, sparsity=0), 0.25)
    binary[0, 16:, :] = binary[0, :, 16:] = 0
    binary[0, 16, 17] = binary[0, 17, 16] = 1
    state = random.getstate()
    try:
        random.seed(7)
        theirs = defend.small_worldness(nx.from_numpy_array(binary[0].numpy()))
    finally:
        random.setstate(state)
    assert small_worldness(binary, seed=7).item() == pytest.approx(theirs, rel=1e-12)
