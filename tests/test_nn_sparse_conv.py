import pytest
import torch
from torch_geometric.utils import to_torch_coo_tensor, to_torch_csr_tensor

from torch_gsr.nn import (
    ConnectomeGCNConv,
    EdgeBatch,
    GCNStack,
    GraphPool,
    GraphUAutoencoder,
    SparseConnectomeGCNConv,
    pool_dense_adj,
    pool_edges,
)
from torch_gsr.utils import sparse_view, strongest_edges


def _sparse_graphs(connectomes, num_graphs=3, num_nodes=10, seed=1):
    """Symmetric weighted graphs with missing edges and a unit diagonal."""
    adj = connectomes(num_graphs, num_nodes, seed=seed)
    return strongest_edges(adj, top_k=3) + torch.eye(num_nodes)


def _pair(in_channels, out_channels):
    dense = ConnectomeGCNConv(in_channels, out_channels)
    torch.nn.init.normal_(dense.bias)
    sparse = SparseConnectomeGCNConv(in_channels, out_channels)
    sparse.load_state_dict(dense.state_dict())  # same parameters, same names
    return dense, sparse


def test_equals_dense_conv_on_edge_index(connectomes):
    adj = _sparse_graphs(connectomes)
    x = torch.randn(3, 10, 6)
    dense, sparse = _pair(6, 4)
    edge_index, edge_weight = sparse_view(adj)
    out = sparse(x.view(30, 6), edge_index, edge_weight).view(3, 10, 4)
    assert torch.allclose(out, dense(x, adj), atol=1e-5)
    # Given self-loops are replaced by unit ones, as the dense layer does.
    loops = torch.arange(30).repeat(2, 1)
    with_loops = sparse(x.view(30, 6), torch.cat([edge_index, loops], 1),
                        torch.cat([edge_weight, torch.full((30,), 5.)]))
    assert torch.allclose(with_loops.view(3, 10, 4), dense(x, adj), atol=1e-5)


@pytest.mark.parametrize('layout', [to_torch_coo_tensor, to_torch_csr_tensor])
def test_equals_dense_conv_on_torch_sparse_matrix(connectomes, layout):
    adj = _sparse_graphs(connectomes, seed=2)
    x = torch.randn(3, 10, 6)
    dense, sparse = _pair(6, 4)
    matrix = layout(*sparse_view(adj), size=30)
    out = sparse(x.view(30, 6), matrix).view(3, 10, 4)
    assert torch.allclose(out, dense(x, adj), atol=1e-5)


def test_equals_dense_conv_on_sparse_tensor(connectomes):
    torch_sparse = pytest.importorskip('torch_sparse')
    adj = _sparse_graphs(connectomes, seed=3)
    x = torch.randn(3, 10, 6)
    dense, sparse = _pair(6, 4)
    edge_index, edge_weight = sparse_view(adj)
    matrix = torch_sparse.SparseTensor.from_edge_index(edge_index, edge_weight,
                                                       sparse_sizes=(30, 30))
    out = sparse(x.view(30, 6), matrix).view(3, 10, 4)
    assert torch.allclose(out, dense(x, adj), atol=1e-5)


def test_identity_features_and_gradients_match(connectomes):
    adj = _sparse_graphs(connectomes, num_nodes=8, seed=4)
    dense, sparse = _pair(8, 5)
    edge_index, edge_weight = sparse_view(adj)
    out_dense = dense(None, adj)
    out_sparse = sparse(None, edge_index, edge_weight, num_nodes=24).view(3, 8, 5)
    assert torch.allclose(out_sparse, out_dense, atol=1e-5)
    out_dense.square().sum().backward()
    out_sparse.square().sum().backward()
    assert torch.allclose(sparse.lin.weight.grad, dense.lin.weight.grad, atol=1e-4)
    with pytest.raises(ValueError, match='num_nodes'):
        sparse(None, edge_index, edge_weight)
    with pytest.raises(ValueError, match='graphs of 8 nodes'):
        sparse(None, edge_index, edge_weight, num_nodes=25)


def test_float64_and_repr_and_reset():
    conv = SparseConnectomeGCNConv(8, 3).double()
    assert repr(conv) == 'SparseConnectomeGCNConv(8, 3)'
    x = torch.randn(4, 8, dtype=torch.float64)
    edge_index = torch.tensor([[0, 1, 2], [1, 0, 3]])
    assert conv(x, edge_index, torch.ones(3, dtype=torch.float64)).dtype == torch.float64
    before = conv.lin.weight.clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.lin.weight)


def test_pool_edges_equals_dense_pooling(connectomes):
    adj = _sparse_graphs(connectomes, seed=5)
    pool = GraphPool(6, 0.6)
    _, idx = pool.select(torch.randn(3, 10, 6))
    edge_index, edge_weight = pool_edges(*sparse_view(adj), idx, num_nodes=10)
    expected = pool_dense_adj(adj, idx)
    pooled = torch.zeros(18, 18)
    pooled[edge_index[0], edge_index[1]] = edge_weight
    blocks = torch.block_diag(*(expected - torch.eye(6)))
    assert torch.equal(pooled, blocks)


@pytest.mark.parametrize('act', ['relu', 'leaky_relu'])
def test_sparse_encoders_equal_dense_ones(connectomes, act):
    torch.manual_seed(0)
    adj = _sparse_graphs(connectomes, num_graphs=2, num_nodes=12, seed=6)
    graph = EdgeBatch.from_dense(adj)
    dense = GraphUAutoencoder(12, 24, act=act)
    sparse = GraphUAutoencoder(12, 24, act=act, sparse=True)
    sparse.load_state_dict(dense.state_dict())
    for x in (None, adj):
        for a, b in zip(sparse(x, graph), dense(x, adj), strict=True):
            assert torch.allclose(a, b, atol=1e-5)
    stack = GCNStack([12, 7, 5], act=act)
    sparse_stack = GCNStack([12, 7, 5], act=act, sparse=True)
    sparse_stack.load_state_dict(stack.state_dict())
    assert torch.allclose(sparse_stack(adj, graph), stack(adj, adj), atol=1e-5)
    with pytest.raises(TypeError, match='sparse=True'):
        sparse(None, adj)
    assert repr(sparse) == 'GraphUAutoencoder(12, 24, pool_ratios=(0.9, 0.7), sparse=True)'
    assert repr(sparse_stack) == 'GCNStack([12, 7, 5], sparse=True)'


def test_root_weight_equals_the_dense_layer(connectomes):
    adj = _sparse_graphs(connectomes, seed=4)
    x = torch.randn(3, 10, 6)
    dense = ConnectomeGCNConv(6, 4, root_weight=True)
    sparse = SparseConnectomeGCNConv(6, 4, root_weight=True)
    sparse.load_state_dict(dense.state_dict())
    edge_index, edge_weight = sparse_view(adj)
    out = sparse(x.view(30, 6), edge_index, edge_weight).view(3, 10, 4)
    assert torch.allclose(out, dense(x, adj), atol=1e-5)
    dense_identity = ConnectomeGCNConv(10, 4, root_weight=True)
    sparse_identity = SparseConnectomeGCNConv(10, 4, root_weight=True)
    sparse_identity.load_state_dict(dense_identity.state_dict())
    identity = sparse_identity(None, edge_index, edge_weight, num_nodes=30)
    assert torch.allclose(identity.view(3, 10, 4), dense_identity(None, adj), atol=1e-5)
    assert repr(sparse) == 'SparseConnectomeGCNConv(6, 4, root_weight=True)'
