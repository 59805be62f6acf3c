import contextlib
import random
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest
import torch
from official.releases import release_module

from torch_gsr.datasets import RELEASE_GRAPHS, ReleaseGraphs, release_graphs
from torch_gsr.datasets.simulated import (
    defend_ba_graphs,
    defend_graphs,
    defend_physics_graphs,
    defend_physics_pairs,
    defend_sbm_graphs,
    defend_ws_graphs,
    stp_ba_graphs,
    stp_er_graphs,
    stp_kronecker_graphs,
    stp_sbm_graphs,
)

pytestmark = pytest.mark.usefixtures('one_thread')

SMALL_DEFEND = dict(lr_nodes=8, hr_nodes=16)
#: name -> (small options, LR nodes, HR nodes)
SMALL = {
    'stp_sbm': (dict(), 60, 100),
    'stp_er': (dict(lr_nodes=10, hr_nodes=16), 10, 16),
    'stp_ba': (dict(lr_nodes=10, hr_nodes=16, lr_edges_per_node=2, hr_edges_per_node=3), 10, 16),
    'stp_kronecker': (dict(lr_initiator=2, hr_initiator=3, iterations=2), 4, 9),
    'defend_sbm': (SMALL_DEFEND, 8, 16),
    'defend_ba': (SMALL_DEFEND, 8, 16),
    'defend_ws': (SMALL_DEFEND, 8, 16),
    'defend_physics': (dict(), 16, 16),
}


def small(name, seed=0, num_subjects=4):
    return release_graphs(name, num_subjects, seed, **SMALL[name][0])


@pytest.mark.parametrize('name', sorted(RELEASE_GRAPHS))
def test_shapes_symmetry_and_range(name):
    lr, hr = small(name)
    _, lr_nodes, hr_nodes = SMALL[name]
    assert lr.shape == (4, lr_nodes, lr_nodes) and hr.shape == (4, hr_nodes, hr_nodes)
    for adj in (lr, hr):
        assert adj.dtype == np.float32 and np.isfinite(adj).all()
        assert np.array_equal(adj, adj.transpose(0, 2, 1))
        assert adj.std(axis=0).mean() > 0  # subjects differ
    if name.startswith('stp'):
        assert set(np.unique(np.concatenate([lr.ravel(), hr.ravel()]))) == {0., 1.}
    if name.startswith('defend') and name != 'defend_physics':
        for adj in (lr, hr):
            assert np.abs(adj).max() <= 1 and (np.diagonal(adj, axis1=1, axis2=2) == 0).all()


@pytest.mark.parametrize('name', sorted(RELEASE_GRAPHS))
def test_seeded(name):
    first, again, other = small(name, 3), small(name, 3), small(name, 4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize('generate,kwargs,match', [
    (stp_sbm_graphs, dict(num_subjects=0), 'num_subjects must be an int'),
    (stp_sbm_graphs, dict(lr_probs=[[0.5]]), r'lr_probs must have shape \[3, 3\]'),
    (stp_sbm_graphs, dict(hr_blocks=(30, 20, 20, 30.5)), 'hr_blocks entries'),
    (stp_er_graphs, dict(hr_edge_prob=1.5), r'hr_edge_prob must be in \[0, 1\]'),
    (stp_ba_graphs, dict(lr_nodes=10, lr_edges_per_node=10), r'lr_edges_per_node \(10\)'),
    (stp_kronecker_graphs, dict(iterations=0), 'iterations must be an int'),
    (defend_sbm_graphs, dict(lr_nodes=20, hr_nodes=16), r'lr_nodes \(20\) must be at most'),
    (defend_sbm_graphs, dict(num_blocks=(3, 2)), 'num_blocks must be a pair of ints'),
    (defend_sbm_graphs, dict(intra_probs=(0.5, 1.5)), 'intra_probs must be a pair'),
    (defend_ba_graphs, dict(edges_per_node=(4, 64)), 'edges_per_node must be a pair'),
    (defend_ws_graphs, dict(rewiring=0.3), 'rewiring must be a pair'),
    (defend_ws_graphs, dict(node_order='random'), 'node_order must be one of'),
    (defend_ws_graphs, dict(embedding_dim=40), r'embedding_dim \(40\) must be at most'),
    (defend_physics_graphs, dict(equation='e7'), 'equation must be one of'),
    (defend_physics_graphs, dict(graph='ring'), 'graph must be one of'),
    (defend_physics_graphs, dict(threshold=0.), 'threshold must be > 0'),
])
def test_bad_arguments(generate, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate(**dict(dict(num_subjects=2), **kwargs))


def test_unknown_release_set():
    with pytest.raises(ValueError, match="unknown release set 'stp_ws'"):
        release_graphs('stp_ws', 2)
    with pytest.raises(ValueError, match="unknown release set"):
        ReleaseGraphs('defend_er', 2)


def test_kronecker_components_are_chained():
    # 2-node graphs whose one edge is drawn with probability 1 - (1 - u)^2, u in
    # [0.5, 1]: some are drawn disconnected and get their edge from the chaining.
    lr, _ = stp_kronecker_graphs(40, lr_initiator=2, hr_initiator=2, iterations=1, seed=0)
    assert (lr[:, 0, 1] == 1).all()


def test_defend_lr_is_the_top_degree_subgraph():
    _, hr = defend_ba_graphs(3, node_order='index', **SMALL_DEFEND)
    assert defend_graphs.top_degree_nodes(
        np.array([[[0, 1, 1], [1, 0, 0], [1, 0, 0]]]), 2).tolist() == [[0, 1]]
    lr_degree, hr_degree = defend_ba_graphs(3, **SMALL_DEFEND)
    lr_index, _ = defend_ba_graphs(3, node_order='index', **SMALL_DEFEND)
    for a, b in zip(lr_degree, lr_index, strict=True):  # the same graph, rows permuted
        assert np.allclose(np.sort(a.ravel()), np.sort(b.ravel()))
    assert np.allclose(np.sort(hr_degree.ravel()), np.sort(hr.ravel()))


def test_physics_pairs_hold_lengths_masses_and_forces():
    graphs = defend_physics_graphs(3, uniform_mass=False, seed=1)
    lr, hr = defend_physics_pairs(3, uniform_mass=False, seed=1)
    mass = graphs.node_features[..., 2]
    assert np.allclose(np.diagonal(lr, axis1=1, axis2=2), mass)
    edges = graphs.adj > 0
    assert edges.any() and ((lr > 0) == edges | np.eye(16, dtype=bool)).all()
    force = 0.1 * mass[:, :, None] * mass[:, None, :] / np.where(edges, lr, 1.) ** 2
    assert np.allclose(hr[edges], force[edges], rtol=1e-4) and (hr[~edges] == 0).all()


def test_release_graphs_dataset(tmp_path):
    dataset = ReleaseGraphs('stp_er', 3, seed=1, options=SMALL['stp_er'][0])
    lr, hr = small('stp_er', seed=1, num_subjects=3)
    assert len(dataset) == 3 and dataset[2].subject == 'stp_er-0002'
    assert torch.equal(dataset[2].hr_adj[0].diagonal(), torch.ones(16))  # cleaned
    raw = ReleaseGraphs('stp_er', 3, seed=1, options=SMALL['stp_er'][0], clean=False)
    assert torch.equal(raw[2].hr_adj[0], torch.from_numpy(hr[2]))
    cached = [ReleaseGraphs('defend_ws', 2, options=dict(SMALL_DEFEND, **extra),
                            root=str(tmp_path)) for extra in ({}, dict(node_order='index'))]
    assert cached[0].processed_file_names != cached[1].processed_file_names
    assert not torch.equal(cached[0][0].hr_adj, cached[1][0].hr_adj)


# ------------------------------------------------ against the releases --

@contextlib.contextmanager
def global_seed(seed):
    r"""Seeds numpy's, Python's and torch's global generators (the releases
    draw from them) and restores their states after."""
    states = np.random.get_state(), random.getstate(), torch.get_rng_state()
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
        torch.set_rng_state(states[2])


def stp_config(name, samples, **sizes):
    return SimpleNamespace(dataset=SimpleNamespace(
        name=name, n_samples=samples, node_feat_init='adj', node_feat_dim=1, **sizes))


STP_CASES = {  # the release's configs/dataset/*.yaml, fewer samples and nodes
    'stp_sbm': stp_config('sbm', 3, n_source_nodes=60, n_target_nodes=100,
                          source_blocks=[20, 20, 20], target_blocks=[30, 20, 20, 30],
                          source_P=[[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.2, 0.1, 0.7]],
                          target_P=[[0.6, 0.2, 0.1, 0.1], [0.2, 0.6, 0.1, 0.1],
                                    [0.1, 0.1, 0.6, 0.2], [0.1, 0.1, 0.2, 0.6]]),
    'stp_er': stp_config('er', 3, n_source_nodes=40, n_target_nodes=67,
                         source_edge_prob=0.3, target_edge_prob=0.4),
    'stp_ba': stp_config('ba', 3, n_source_nodes=40, n_target_nodes=67,
                         n_source_edges_per_node=18, n_target_edges_per_node=40),
    'stp_kronecker': stp_config('kronecker', 8, n_source_nodes=64, n_target_nodes=125,
                                source_init_matrix_size=4, target_init_matrix_size=5,
                                n_iterations=3),
}
STP_OPTIONS = {'stp_sbm': {}, 'stp_er': dict(lr_nodes=40, hr_nodes=67),
               'stp_ba': dict(lr_nodes=40, hr_nodes=67), 'stp_kronecker': {}}


@pytest.mark.parametrize('name', sorted(STP_CASES))
def test_stp_sets_are_the_releases_graphs(name):
    dataset = release_module('stp-gsr', 'src.dataset')
    config = STP_CASES[name]
    for seed in (0, 1):
        with global_seed(seed):
            source, target = dataset.load_dataset(config)
        lr, hr = release_graphs(name, config.dataset.n_samples, seed, **STP_OPTIONS[name])
        assert np.array_equal(lr, np.stack([x['mat'].numpy() for x in source]))
        assert np.array_equal(hr, np.stack([x['mat'].numpy() for x in target]))


DEFEND_CASES = {  # configs/simulated.py, the release's exclusive upper bounds
    'sbm': (lambda m: m.create_random_sbm_graphs(6, 2, 5, 0.01, 0.10, 0.5, 0.6, 64),
            defend_sbm_graphs),
    'ba': (lambda m: m.create_random_ba_graphs(6, 4, 8, 64), defend_ba_graphs),
    'ws': (lambda m: m.create_random_ws_graphs(6, 6, 12, 0.2, 0.5, 64), defend_ws_graphs),
}


@pytest.mark.parametrize('kind', sorted(DEFEND_CASES))
def test_defend_sets_draw_the_releases_graphs(kind, monkeypatch):
    draw, generate = DEFEND_CASES[kind]
    module = release_module('defend', f'data.{kind}')
    top_k = release_module('defend', 'data.topo_metric').topK_subgraph
    # The graphs themselves, before the node features (the release's node2vec).
    monkeypatch.setattr(defend_graphs, '_embed', lambda adj, dim, order: adj)
    for seed in (0, 42):
        with global_seed(seed):
            graphs = draw(module)
        lr, hr = generate(6, seed=seed)
        for i, graph in enumerate(graphs):
            assert np.array_equal(hr[i], nx.to_numpy_array(graph, nodelist=range(64)))
            sub = top_k(graph, 'degree', 32)
            assert np.array_equal(lr[i], nx.to_numpy_array(sub, nodelist=sorted(sub)))


#: The release's connectomes (its node2vec features) on the graphs of seed 42,
#: 8 subjects: mean and std of the off-diagonal entries, LR then HR, measured
#: by benchmarks/defend_embedding.py (docs/datasets.md). The release is not
#: deterministic (multi-worker walks and word2vec): two runs differed by up to
#: 0.016 in these means.
RELEASE_STATISTICS = {'sbm': ((0.735, 0.191), (0.524, 0.293)),
                      'ba': ((0.704, 0.148), (0.501, 0.232)),
                      'ws': ((0.593, 0.209), (0.462, 0.240))}


@pytest.mark.parametrize('kind', sorted(RELEASE_STATISTICS))
def test_defend_connectomes_match_the_releases_statistics(kind):
    generate = DEFEND_CASES[kind][1]
    for adj, (mean, std) in zip(generate(8, seed=42), RELEASE_STATISTICS[kind], strict=True):
        row, col = np.triu_indices(adj.shape[-1], 1)
        values = adj[:, row, col]
        assert abs(values.mean() - mean) < 0.15 and abs(values.std() - std) < 0.06


@pytest.mark.parametrize('graph', ['random_geometric', 'grid'])
def test_physics_set_is_the_releases(graph):
    phy = release_module('defend', 'data.phy')
    for equation in ('e1', 'e2', 'e3', 'e4', 'e5', 'e6'):
        if graph == 'grid':
            graphs = phy.create_grid_graphs(2, 4, uniform_mass=True, eq_type=equation)
        else:
            with global_seed(0):
                graphs = phy.create_random_geometric_graphs(
                    3, 16, 0.3, uniform_mass=True, data_gen_seed=99, eq_type=equation)
        mine = defend_physics_graphs(len(graphs), graph=graph, equation=equation, seed=99)
        for i, (features, edge_index, values, adj, num_nodes) in enumerate(graphs):
            expected = phy.convert_edge_feat_array_to_matrix(values, edge_index.T, num_nodes)
            assert np.allclose(mine.node_features[i], features.numpy(), rtol=1e-6, atol=0)
            assert np.array_equal(mine.adj[i], adj.toarray())
            assert np.allclose(mine.edge_values[i], expected.numpy(), rtol=1e-5, atol=1e-6)
