import warnings

import pytest
import torch
from torch_geometric.nn import DenseGCNConv, GCNConv
from torch_geometric.utils import dense_to_sparse, remove_self_loops

from torch_gsr.nn import ConnectomeGCNConv, gcn_norm_dense


def test_matches_dense_gcn_conv(connectomes):
    adj = connectomes(3, 12)
    x = torch.randn(3, 12, 5)
    ours = ConnectomeGCNConv(5, 7)
    torch.nn.init.normal_(ours.bias)
    reference = DenseGCNConv(5, 7)
    reference.load_state_dict(ours.state_dict())
    assert torch.allclose(ours(x, adj), reference(x, adj), atol=1e-6)
    assert torch.allclose(ours(x, gcn_norm_dense(adj), normalized=True),
                          reference(x, adj), atol=1e-6)


def test_identity_features_are_not_multiplied_out(connectomes):
    adj = connectomes(2, 9)
    conv = ConnectomeGCNConv(9, 4)
    eye = torch.eye(9).expand(2, 9, 9)
    assert torch.allclose(conv(None, adj), conv(eye, adj), atol=1e-6)


def test_dense_batch_equals_sparse_message_passing(connectomes):
    adj = connectomes(3, 10, seed=1)
    adj[0, 2, 5] = adj[0, 5, 2] = 0.  # a missing edge
    x = torch.randn(3, 10, 6)
    dense = ConnectomeGCNConv(6, 4)
    sparse = GCNConv(6, 4)
    sparse.lin.weight.data.copy_(dense.lin.weight)
    sparse.bias.data.copy_(torch.randn(4))
    dense.bias.data.copy_(sparse.bias)
    out_dense = dense(x, adj)
    for b in range(3):
        edge_index, edge_weight = remove_self_loops(*dense_to_sparse(adj[b]))
        out_sparse = sparse(x[b], edge_index, edge_weight)
        assert torch.allclose(out_dense[b], out_sparse, atol=1e-5)


def test_repr_and_reset():
    conv = ConnectomeGCNConv(8, 3)
    assert repr(conv) == 'ConnectomeGCNConv(8, 3)'
    before = conv.lin.weight.clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.lin.weight)


def test_mask_zeroes_padding_nodes_as_dense_gcn_conv(connectomes):
    adj = connectomes(2, 7)
    x = torch.randn(2, 7, 3)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 5:] = False
    ours = ConnectomeGCNConv(3, 4)
    torch.nn.init.normal_(ours.bias)
    reference = DenseGCNConv(3, 4)
    reference.load_state_dict(ours.state_dict())
    out = ours(x, adj, mask)
    assert torch.allclose(out, reference(x, adj, mask), atol=1e-6)
    assert bool((out[1, 5:] == 0).all()) and bool((out[0] != 0).any())


def test_root_weight_adds_the_nodes_own_features(connectomes):
    adj = connectomes(2, 9)
    x = torch.randn(2, 9, 5)
    rooted = ConnectomeGCNConv(5, 3, root_weight=True)
    plain = ConnectomeGCNConv(5, 3)
    plain.load_state_dict({k: v for k, v in rooted.state_dict().items()
                           if not k.startswith('lin_root')})
    expected = plain(x, adj) + x @ rooted.lin_root.weight.T
    assert torch.allclose(rooted(x, adj), expected, atol=1e-6)
    # Identity features read the root weight off as well.
    identity = ConnectomeGCNConv(9, 4, root_weight=True)
    assert torch.allclose(identity(None, adj), identity(torch.eye(9).expand(2, 9, 9), adj),
                          atol=1e-6)
    rooted(x, adj).sum().backward()
    assert rooted.lin_root.weight.grad.abs().sum() > 0
    assert repr(rooted) == 'ConnectomeGCNConv(5, 3, root_weight=True)'
    before = rooted.lin_root.weight.clone()
    rooted.reset_parameters()
    assert not torch.equal(before, rooted.lin_root.weight)


def test_root_weight_keeps_nodes_apart_on_a_uniform_graph():
    # On a complete graph of unit weights the propagation averages every
    # node alike; only the root term tells the nodes apart.
    adj = torch.ones(1, 6, 6)
    x = torch.randn(1, 6, 4)
    plain = ConnectomeGCNConv(4, 2)(x, adj)
    rooted = ConnectomeGCNConv(4, 2, root_weight=True)(x, adj)
    assert torch.allclose(plain, plain[:, :1].expand_as(plain), atol=1e-6)
    assert not torch.allclose(rooted, rooted[:, :1].expand_as(rooted), atol=1e-3)


# DenseGCNConv's documented behaviour (its tests in pytorch_geometric,
# test/nn/dense/test_dense_gcn_conv.py, restated for ConnectomeGCNConv).

def _twin_dense_gcn_conv(conv):
    """A DenseGCNConv holding ``conv``'s weight and a non-zero bias."""
    torch.nn.init.normal_(conv.bias)
    reference = DenseGCNConv(conv.in_channels, conv.out_channels,
                             improved=conv.improved)
    reference.load_state_dict(conv.state_dict())
    return reference


def test_padded_batch_with_mask_matches_sparse_gcn_conv():
    # Two graphs, a path 0-1-2-3 and an edge 4-5, padded to four nodes each.
    conv = ConnectomeGCNConv(6, 8)
    assert str(conv) == 'ConnectomeGCNConv(6, 8)'
    sparse = GCNConv(6, 8)
    sparse.lin.weight.data.copy_(conv.lin.weight)
    torch.nn.init.uniform_(conv.bias)
    sparse.bias.data.copy_(conv.bias)
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3, 4, 5],
                               [1, 0, 2, 1, 3, 2, 5, 4]])
    x = torch.randn(6, 6)
    expected = sparse(x, edge_index)

    padded = torch.zeros(2, 4, 6)
    padded[0], padded[1, :2] = x[:4], x[4:]
    adj = torch.zeros(2, 4, 4)
    adj[0, [0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]] = 1.
    adj[1, [0, 1], [1, 0]] = 1.
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    out = conv(padded, adj, mask)
    assert out.shape == (2, 4, 8)
    assert bool((out[1, 2:] == 0).all())
    assert torch.allclose(out[mask], expected, atol=1e-5)
    unmasked = conv(padded, adj)
    assert unmasked.shape == (2, 4, 8)
    assert torch.allclose(unmasked[mask], expected, atol=1e-5)
    assert not bool((unmasked[1, 2:] == 0).all())  # the bias reaches padding

    with warnings.catch_warnings():  # torch.jit is deprecated in torch 2.13
        warnings.simplefilter('ignore', DeprecationWarning)
        scripted = torch.jit.script(conv)
    assert torch.allclose(scripted(padded, adj, mask), out)


def test_one_adjacency_broadcasts_over_a_batch_of_features(connectomes):
    adj = connectomes(1, 5)[0]
    x = torch.randn(7, 5, 3)
    for root_weight, bias in [(False, True), (True, True), (False, False)]:
        conv = ConnectomeGCNConv(3, 4, bias=bias, root_weight=root_weight)
        out = conv(x, adj)
        assert out.shape == (7, 5, 4)
        assert torch.allclose(out, conv(x, adj.expand(7, 5, 5)), atol=1e-6)
        for b in (0, 6):
            assert torch.allclose(out[b], conv(x[b], adj), atol=1e-6)
    assert conv(x, adj, torch.ones(5, dtype=torch.bool)).shape == (7, 5, 4)
    mask = torch.rand(7, 5) > 0.5
    assert torch.equal(conv(x, adj, mask), out * mask.unsqueeze(-1))
    reference = _twin_dense_gcn_conv(ConnectomeGCNConv(3, 4))
    assert torch.allclose(reference(x, adj), DenseGCNConv.forward(
        reference, x, adj.expand(7, 5, 5)), atol=1e-6)


def test_one_feature_matrix_broadcasts_over_a_batch_of_graphs(connectomes):
    adj = connectomes(4, 6, seed=2)
    x = torch.randn(6, 3)
    conv = ConnectomeGCNConv(3, 2, root_weight=True)
    out = conv(x, adj)
    assert out.shape == (4, 6, 2)
    assert torch.allclose(out, conv(x.expand(4, 6, 3), adj), atol=1e-6)
    assert torch.allclose(conv(x.unsqueeze(0), adj), out, atol=1e-6)
    single = conv(x, adj[1])
    assert single.shape == (6, 2)
    assert torch.allclose(single, out[1], atol=1e-6)


def test_identity_features_with_a_shared_adjacency(connectomes):
    adj = connectomes(1, 6)[0]
    conv = ConnectomeGCNConv(6, 3, root_weight=True)
    assert torch.allclose(conv(None, adj), conv(torch.eye(6), adj), atol=1e-6)
    assert conv(None, adj).shape == (6, 3)


def test_equals_dense_gcn_conv_without_root_weight(connectomes):
    adj = connectomes(3, 8, seed=3)
    adj[0, 1, 4] = adj[0, 4, 1] = 0.
    adj.diagonal(dim1=-2, dim2=-1).copy_(torch.rand(3, 8))  # add_loop matters
    x = torch.randn(3, 8, 5)
    mask = torch.ones(3, 8, dtype=torch.bool)
    mask[2, 6:] = False
    for improved in (False, True):
        conv = ConnectomeGCNConv(5, 4, improved=improved)
        reference = _twin_dense_gcn_conv(conv)
        for add_loop in (True, False):
            assert torch.allclose(conv(x, adj, mask, add_loop),
                                  reference(x, adj, mask, add_loop), atol=1e-6)
            assert torch.allclose(conv(x, adj[0], add_loop=add_loop),
                                  reference(x, adj[0], add_loop=add_loop), atol=1e-6)
            # Unbatched inputs give one graph's output without a batch dimension.
            assert torch.allclose(conv(x[1], adj[1], add_loop=add_loop),
                                  reference(x[1], adj[1], add_loop=add_loop)[0],
                                  atol=1e-6)
        prop = gcn_norm_dense(adj, improved=improved)
        assert torch.allclose(conv(x, prop, normalized=True), reference(x, adj),
                              atol=1e-6)
    assert repr(conv) == 'ConnectomeGCNConv(5, 4, improved=True)'
    # improved and add_loop change the numbers (the tests above can fail).
    plain = ConnectomeGCNConv(5, 4)
    plain.load_state_dict(conv.state_dict())
    assert not torch.allclose(conv(x, adj), plain(x, adj), atol=1e-3)
    assert not torch.allclose(plain(x, adj, add_loop=False), plain(x, adj), atol=1e-3)


def test_bad_shapes_are_named(connectomes):
    conv = ConnectomeGCNConv(3, 2)
    adj = connectomes(2, 5)
    with pytest.raises(ValueError, match='adj must be'):
        conv(torch.randn(2, 5, 3), adj[..., :4])
    with pytest.raises(ValueError, match='x must be'):
        conv(torch.randn(2, 4, 3), adj)
    with pytest.raises(ValueError, match='batch sizes'):
        conv(torch.randn(3, 5, 3), adj)
    with pytest.raises(ValueError, match='identity features'):
        conv(None, adj)
