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
