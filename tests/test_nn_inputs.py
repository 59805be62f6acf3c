"""Data in, Data out: every model takes a ConnectomePair, a Batch, a dense
lr_adj or a sparse (edge_index, edge_weight, batch) and gives the same numbers."""
import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from torch_gsr.datasets import ConnectomePair, SyntheticConnectomes
from torch_gsr.nn import MODELS, GSRNet
from torch_gsr.transforms import AddSpectra
from torch_gsr.utils import strongest_edges

NL, NH = 10, 17


@pytest.fixture(scope='module')
def dataset():
    return SyntheticConnectomes(num_subjects=4, lr_nodes=NL, hr_nodes=NH, seed=2,
                                pre_transform=AddSpectra())


@pytest.fixture(scope='module')
def batch(dataset):
    return next(iter(DataLoader(dataset, batch_size=3)))


@pytest.mark.parametrize('preset', ['paper', 'recommended'])
@pytest.mark.parametrize('cls', list(MODELS.values()))
def test_every_input_form_gives_the_dense_numbers(cls, preset, dataset, batch):
    torch.manual_seed(0)
    model = cls(NL, NH, preset=preset).eval()
    expected = model(batch.lr_adj, batch.lr_eigvecs).hr_adj
    assert torch.allclose(model(batch).hr_adj, expected, atol=1e-5)
    sparse = model(edge_index=batch.edge_index, edge_weight=batch.edge_weight,
                   batch=batch.batch, lr_eigvecs=batch.lr_eigvecs).hr_adj
    assert torch.allclose(sparse, expected, atol=1e-5)
    single = model(dataset[1]).hr_adj
    assert torch.allclose(single, expected[1:2], atol=1e-5)


def test_data_without_lr_adj_is_densified_with_a_unit_diagonal(batch):
    model = GSRNet(NL, NH, preset='paper').eval()
    edges_only = Batch.from_data_list([
        Data(edge_index=g.edge_index, edge_weight=g.edge_weight, num_nodes=NL)
        for g in batch.to_data_list()])
    assert torch.allclose(model(edges_only).hr_adj, model(batch.lr_adj).hr_adj, atol=1e-5)


def test_predict_graphs_returns_pyg_graphs(batch, dataset):
    model = GSRNet(NL, NH)
    graphs = model.predict_graphs(batch, top_k=4)
    assert isinstance(graphs, Batch) and graphs.num_graphs == 3
    assert graphs.x.shape == (3 * NH, NH) and graphs.adj.shape == (3, NH, NH)
    assert graphs.subject == batch.subject
    one = model.predict_graphs(dataset[0], node_features=None)
    assert one.num_nodes == NH and 'x' not in one
    assert one.edge_index.size(1) == NH * (NH - 1)


@pytest.mark.parametrize('cls', ['GSRNet', 'DeepGSR'])
def test_sparse_encoder_equals_dense_encoder_on_the_sparsified_graph(cls, connectomes):
    torch.manual_seed(0)
    options = dict(node_features='identity', spectral=False)
    sparse = MODELS[cls](NL, NH, lr_top_k=3, **options)
    dense = MODELS[cls](NL, NH, **options)
    dense.load_state_dict(sparse.state_dict())
    lr_adj = connectomes(2, NL)
    thinned = strongest_edges(lr_adj, top_k=3) + torch.eye(NL)
    assert torch.allclose(sparse(lr_adj).hr_adj, dense(thinned).hr_adj, atol=1e-5)
    assert sparse.get_config()['lr_top_k'] == 3
    with pytest.raises(ValueError, match='lr_top_k'):
        GSRNet(NL, NH, lr_top_k=NL)


def test_sparse_encoder_trains(connectomes):
    torch.manual_seed(0)
    model = GSRNet(NL, NH, lr_top_k=3)
    out = model(connectomes(3, NL))
    model.loss(out, connectomes(3, NH, seed=1)).total.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_activation_names_resolve_and_unknown_ones_fail(connectomes):
    for act in ('relu', 'leaky_relu', 'elu', 'tanh', 'identity'):
        assert GSRNet(NL, NH, act=act)(connectomes(1, NL)).hr_adj.shape == (1, NH, NH)
    with pytest.raises(ValueError, match="act must be an activation name.*'swoosh'"):
        GSRNet(NL, NH, act='swoosh')


def test_bad_sparse_input_gets_a_clear_error(batch):
    model = GSRNet(NL, NH)
    edge_index, edge_weight = batch.edge_index, batch.edge_weight
    bad_index = edge_index.clone()
    bad_index[0, 5] = 3 * NL + 2
    with pytest.raises(ValueError, match=f'node index {3 * NL + 2} but the graph'):
        model(edge_index=bad_index, edge_weight=edge_weight, batch=batch.batch)
    with pytest.raises(ValueError, match='batch does not match'):
        model(edge_index=edge_index, edge_weight=edge_weight, batch=batch.batch.flip(0))
    with pytest.raises(ValueError, match='not a whole number of 10-node graphs'):
        model(edge_index=edge_index, edge_weight=edge_weight, batch=batch.batch[:-1])
    with pytest.raises(ValueError, match=r'edge_weight must have shape \[E\]'):
        model(edge_index=edge_index, edge_weight=edge_weight[:-1], batch=batch.batch)
    with pytest.raises(ValueError, match="neither 'lr_adj' nor 'edge_index'"):
        model(Data(y=torch.tensor([1])))
    with pytest.raises(ValueError, match='no LR graph'):
        model()
    with pytest.raises(ValueError, match='not both'):
        model(batch.lr_adj, edge_index=edge_index)
    single = ConnectomePair(batch.lr_adj[0])
    single.lr_adj = None
    single.edge_index, single.edge_weight = torch.tensor([[0], [NL]]), torch.ones(1)
    with pytest.raises(ValueError, match=f'node index {NL} but the graph'):
        model(single)
