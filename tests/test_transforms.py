import pytest
import torch
from torch import nn
from torch_geometric.loader import DataLoader
from torch_geometric.transforms import Compose

from torch_gsr.datasets import ConnectomePair, SyntheticConnectomes
from torch_gsr.nn import GSRNet
from torch_gsr.transforms import (
    AddSpectra,
    CleanConnectomes,
    GraphSuperResolution,
    Sparsify,
)
from torch_gsr.utils import hr_eigvecs, lr_eigvecs, padded_size, strongest_edges

NL, NH = 12, 20


@pytest.fixture(scope='module')
def dataset():
    return SyntheticConnectomes(num_subjects=5, lr_nodes=NL, hr_nodes=NH, seed=1,
                                pre_transform=AddSpectra())


@pytest.fixture
def batch(dataset):
    return next(iter(DataLoader(dataset, batch_size=4)))


def test_add_spectra_cached_per_subject_and_batched(dataset, batch):
    padded = padded_size(NL, NH)
    assert dataset[0].lr_eigvecs.shape == (1, NL, NL)
    assert dataset[0].hr_eigvecs.shape == (1, padded, padded)
    assert batch.lr_eigvecs.shape == (4, NL, NL) and batch.hr_eigvecs.shape == (4, padded, padded)
    assert torch.allclose(batch.lr_eigvecs, lr_eigvecs(batch.lr_adj), atol=1e-5)
    recomputed = AddSpectra()(batch)
    assert torch.allclose(recomputed.hr_eigvecs, hr_eigvecs(batch.hr_adj, padded), atol=1e-5)
    assert recomputed.to_data_list()[3].lr_eigvecs.shape == (1, NL, NL)


def test_strongest_edges_top_k_and_threshold():
    adj = torch.tensor([[1., .9, .1, .5], [.9, 1., .2, .3], [.1, .2, 1., .8], [.5, .3, .8, 1.]])
    top1 = strongest_edges(adj.unsqueeze(0), top_k=1)[0]
    expected = {(0, 1), (1, 0), (2, 3), (3, 2)}
    assert {tuple(i) for i in top1.nonzero().tolist()} == expected
    assert torch.equal(top1, top1.T)
    kept = strongest_edges(adj.unsqueeze(0), threshold=0.5)[0]
    assert {tuple(i) for i in kept.nonzero().tolist()} == expected | {(0, 3), (3, 0)}
    with pytest.raises(ValueError, match='exactly one'):
        Sparsify()
    with pytest.raises(ValueError, match='top_k'):
        strongest_edges(adj.unsqueeze(0), top_k=4)


def test_sparsify_on_batch_keeps_it_splittable(batch):
    sparse = Sparsify(top_k=2)(batch)
    assert sparse.edge_index.size(1) < batch.edge_index.size(1)
    assert sparse.edge_index.size(1) >= 4 * NL * 2
    graphs = sparse.to_data_list()
    single = Sparsify(top_k=2)(graphs[2].clone())
    assert torch.equal(graphs[2].edge_index, single.edge_index)
    assert torch.equal(graphs[2].edge_weight, single.edge_weight)
    assert torch.equal(sparse.lr_adj, batch.lr_adj)


def test_clean_transform_composes_and_raises(batch):
    dirty = batch.clone()
    dirty.lr_adj[1, 0, 1] = dirty.lr_adj[1, 1, 0] = float('nan')
    dirty.lr_adj[2] = -dirty.lr_adj[2]
    clean = Compose([CleanConnectomes(), Sparsify(threshold=0.3)])(dirty)
    assert torch.allclose(clean.lr_adj[2], batch.lr_adj[2])
    assert clean.lr_adj[1, 0, 1] == 0
    assert bool((clean.edge_weight >= 0.3).all())
    with pytest.raises(ValueError, match=r"lr_adj \(subject 'sim-0001'\).*NaN"):
        CleanConnectomes(nonfinite=None)(dirty)
    clean.lr_adj[3, 0, 2] += 0.5
    with pytest.raises(ValueError, match=r"lr_adj \(subject 'sim-0003'\).*not symmetric"):
        CleanConnectomes()(clean)


def test_graph_super_resolution_single_and_batch(dataset, batch):
    model = GSRNet(NL, NH)
    model.train()
    sr = GraphSuperResolution(model)
    out = sr(batch)
    assert out.adj.shape == (4, NH, NH) and out.num_nodes == 4 * NH
    assert out.subject == batch.subject and model.training
    with torch.no_grad():
        model.eval()
        expected = model(batch.lr_adj, lr_eigvecs=batch.lr_eigvecs).hr_adj
    assert torch.allclose(out.adj, expected, atol=1e-5)
    one = sr(dataset[1])
    assert one.adj.shape == (1, NH, NH) and one.subject == 'sim-0001'
    assert torch.equal(one.edge_index, out.to_data_list()[1].edge_index)
    assert not one.adj.requires_grad
    assert (one.edge_index[0] != one.edge_index[1]).all()


def test_graph_super_resolution_with_stand_in_model_and_extra_attributes():
    class Upsample(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, lr_adj, lr_eigvecs=None):
            hr = torch.kron(lr_adj, torch.ones(2, 2)) * self.scale
            return type('Out', (), {'hr_adj': hr})()

    lr = torch.eye(3)
    lr[0, 1] = lr[1, 0] = 0.5
    data = ConnectomePair(lr, None, subject='x', y=torch.tensor([1]))
    out = GraphSuperResolution(Upsample())(data)
    assert out.adj.shape == (1, 6, 6) and out.num_nodes == 6
    assert torch.equal(out.y, torch.tensor([1])) and out.subject == 'x'
    assert out.edge_index.size(1) == 4 * 5 - 6  # 5 non-zero 2x2 blocks, no self-loops


def test_graph_super_resolution_features_and_sparsification(batch):
    model = GSRNet(NL, NH)
    full = GraphSuperResolution(model)(batch)
    assert torch.equal(full.x, full.adj.reshape(-1, NH))  # HR adjacency rows
    assert full.edge_index.size(1) == 4 * NH * (NH - 1)
    top = GraphSuperResolution(model, top_k=3)(batch)
    assert torch.equal(top.x, full.x)  # features from the full prediction
    expected = sum(strongest_edges(full.adj, top_k=3).count_nonzero(dim=(1, 2)))
    assert top.edge_index.size(1) == int(expected) < full.edge_index.size(1)
    strong = GraphSuperResolution(model, threshold=0.5, node_features=None)(batch)
    assert 'x' not in strong and bool((strong.edge_weight >= 0.5).all())
    assert repr(GraphSuperResolution(model, top_k=3)) == (
        "GraphSuperResolution(GSRNet, node_features='adjacency', top_k=3)")
    with pytest.raises(ValueError, match='at most one'):
        GraphSuperResolution(model, top_k=3, threshold=0.5)
    with pytest.raises(ValueError, match='node_features'):
        GraphSuperResolution(model, node_features='degree')


def test_graph_super_resolution_as_dataset_transform_and_datapipe(dataset):
    from torch.utils.data.datapipes.iter import IterableWrapper
    from torch_geometric.nn import GCNConv, global_mean_pool

    model = GSRNet(NL, NH)
    transform = GraphSuperResolution(model, top_k=4)
    super_resolved = SyntheticConnectomes(num_subjects=5, lr_nodes=NL, hr_nodes=NH,
                                          seed=1, transform=transform)
    loaded = next(iter(DataLoader(super_resolved, batch_size=5)))
    assert loaded.x.shape == (5 * NH, NH) and loaded.batch.max() == 4
    # The first thing a user does with it: a GCN classifier, no glue.
    hidden = GCNConv(NH, 8)(loaded.x, loaded.edge_index, loaded.edge_weight)
    assert global_mean_pool(hidden, loaded.batch).shape == (5, 8)
    stored = SyntheticConnectomes(num_subjects=5, lr_nodes=NL, hr_nodes=NH, seed=1,
                                  pre_transform=transform)
    assert torch.allclose(stored[2].adj, super_resolved[2].adj, atol=1e-6)
    piped = list(IterableWrapper([dataset[0]]).graph_super_resolution(model, top_k=4))
    assert torch.equal(piped[0].edge_index, transform(dataset[0]).edge_index)


def test_graph_super_resolution_reads_sparse_only_data(batch):
    from torch_geometric.data import Batch, Data

    model = GSRNet(NL, NH, preset='paper')
    edges_only = Batch.from_data_list([
        Data(edge_index=g.edge_index, edge_weight=g.edge_weight, num_nodes=NL, y=g.subject)
        for g in batch.to_data_list()])
    out = GraphSuperResolution(model)(edges_only)
    assert torch.allclose(out.adj, GraphSuperResolution(model)(batch).adj, atol=1e-5)
    assert out.y == batch.subject
    with pytest.raises(ValueError, match="neither 'lr_adj' nor 'edge_index'"):
        GraphSuperResolution(model)(Data(num_nodes=NL))
