import itertools

import pytest
import torch
from torch_geometric.nn import TransformerConv

from torch_gsr.nn import (
    PAPER_STP,
    RECOMMENDED_STP,
    STPGSR,
    DenseTransformerConv,
    LineGraphTransformerConv,
    build_model,
    complete_line_graph,
)
from torch_gsr.nn.conv.line_graph_conv import edges_to_matrix, matrix_to_edges, num_dual_nodes
from torch_gsr.train import fit, load_checkpoint, predict
from torch_gsr.utils.sparse import sparse_view


def with_parameters_of(reference: TransformerConv, conv) -> TransformerConv:
    # Ours has no key bias (it never matters): the reference's is random, so
    # the equality below also checks that it does not matter.
    missing, unexpected = reference.load_state_dict(conv.state_dict(),
                                                    strict=False)
    assert missing == ['lin_key.bias'] and not unexpected
    assert reference.lin_key.bias.abs().sum() > 0
    return reference


def test_complete_line_graph_is_the_line_graph_of_k_n():
    n = 6
    pairs = list(itertools.combinations(range(n), 2))
    expected = {(s, t) for t, target in enumerate(pairs)
                for s, source in enumerate(pairs)
                if s != t and set(source) & set(target)}
    edge_index = complete_line_graph(n)
    found = set(map(tuple, edge_index.t().tolist()))
    assert edge_index.size(1) == n * (n - 1) * (n - 2) == len(found)
    assert found == expected
    assert torch.equal(edge_index[1], edge_index[1].sort().values)
    assert complete_line_graph(n) is edge_index  # built once per size


def test_line_graph_needs_three_nodes():
    with pytest.raises(ValueError, match='n >= 3'):
        complete_line_graph(2)


def test_edges_and_matrix_round_trip():
    x = torch.randn(2, num_dual_nodes(5), 3)
    mat = edges_to_matrix(x, 5)
    assert mat.shape == (2, 5, 5, 3)
    assert torch.equal(mat, mat.transpose(1, 2))
    assert torch.equal(mat.diagonal(dim1=1, dim2=2), torch.zeros(2, 3, 5))
    assert torch.equal(matrix_to_edges(mat), x)


@pytest.mark.parametrize('structured', [False, True])
def test_line_graph_conv_equals_transformer_conv(structured):
    torch.manual_seed(0)
    n, batch = 7, 3
    conv = LineGraphTransformerConv(3, 4, heads=2, structured=structured).double()
    reference = with_parameters_of(TransformerConv(3, 4, heads=2).double(), conv)
    x = torch.randn(batch, num_dual_nodes(n), 3, dtype=torch.float64)
    edge_index = complete_line_graph(n)
    expected = torch.stack([reference(x[b], edge_index) for b in range(batch)])
    assert torch.allclose(conv(x, n), expected, atol=1e-12)


def test_structured_and_sparse_give_the_same_gradients():
    torch.manual_seed(0)
    sparse = LineGraphTransformerConv(2, 3, heads=2, structured=False).double()
    structured = LineGraphTransformerConv(2, 3, heads=2).double()
    structured.load_state_dict(sparse.state_dict())
    x = torch.randn(2, num_dual_nodes(6), 2, dtype=torch.float64)
    target = torch.randn(2, num_dual_nodes(6), 6, dtype=torch.float64)
    for conv in (sparse, structured):
        ((conv(x, 6) - target) ** 2).sum().backward()
    for (name, a), b in zip(sparse.named_parameters(), structured.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-10), name


@pytest.mark.parametrize('structured', [True, False])
def test_line_graph_conv_drops_attention_in_training_only(structured):
    torch.manual_seed(0)
    conv = LineGraphTransformerConv(2, 3, dropout=0.5, structured=structured).double()
    x = torch.randn(2, num_dual_nodes(6), 2, dtype=torch.float64)
    conv.eval()
    evaluated = conv(x, 6)
    conv.dropout = 0.
    torch.testing.assert_close(conv(x, 6), evaluated, rtol=0, atol=0)
    conv.dropout = 0.5
    conv.train()
    torch.manual_seed(1)
    first = conv(x, 6)
    torch.manual_seed(1)
    torch.testing.assert_close(conv(x, 6), first, rtol=0, atol=0)
    assert (conv(x, 6) - first).abs().max() > 1e-3
    assert (first - evaluated).abs().max() > 1e-3


def test_line_graph_conv_rejects_wrong_sizes():
    conv = LineGraphTransformerConv(1, 1)
    with pytest.raises(ValueError, match=r'\[B, 15, F\] for the line graph of K_6'):
        conv(torch.randn(2, 14, 1), 6)


def test_dense_transformer_conv_equals_transformer_conv(connectomes):
    torch.manual_seed(0)
    conv = DenseTransformerConv(5, 3, heads=2).double()
    reference = with_parameters_of(
        TransformerConv(5, 3, heads=2, edge_dim=1).double(), conv)
    adj = connectomes(2, 7, dtype=torch.float64)
    adj[0, 1, 2] = adj[0, 2, 1] = 0.  # a missing edge
    adj[1, 3, :] = adj[1, :, 3] = 0.  # an isolated node
    x = torch.randn(2, 7, 5, dtype=torch.float64)
    edge_index, weight = sparse_view(adj)
    expected = reference(x.view(14, 5), edge_index, weight.unsqueeze(-1))
    assert torch.allclose(conv(x, adj), expected.view(2, 7, 6), atol=1e-12)


@pytest.mark.parametrize('preset', ['paper', 'recommended'])
def test_output_is_a_connectome(connectomes, preset):
    model = STPGSR(12, 20, preset=preset)
    out = model(connectomes(3, 12))
    hr = out.hr_adj
    assert hr.shape == (3, 20, 20) and torch.equal(out.padded_hr_adj, hr)
    assert torch.equal(hr, hr.transpose(-1, -2))
    assert bool((hr >= 0).all())
    assert torch.equal(hr.diagonal(dim1=-2, dim2=-1), torch.ones(3, 20))
    assert out.a_hr.shape == (3, 20, 20) and out.z_lr.shape == (3, 12, 20)
    if preset == 'recommended':
        return
    assert bool((hr <= 1).all())
    gram = (out.z_lr.transpose(-1, -2) @ out.z_lr).flatten(1)
    low, high = gram.amin(1, keepdim=True), gram.amax(1, keepdim=True)
    assert torch.allclose(out.a_hr.flatten(1), (gram - low) / (high - low),
                          atol=1e-6)


def test_structured_and_sparse_models_agree(connectomes):
    torch.manual_seed(0)
    sparse = STPGSR(9, 14, structured=False, dual_channels=(3,),
                    residual=False).double().eval()
    structured = STPGSR(9, 14, structured=True, dual_channels=(3,),
                        residual=False).double().eval()
    structured.load_state_dict(sparse.state_dict())
    lr_adj = connectomes(3, 9, dtype=torch.float64)
    assert torch.allclose(sparse(lr_adj).hr_adj, structured(lr_adj).hr_adj,
                          atol=1e-10)


def test_loss_is_l1_over_hr_edges(connectomes):
    model = STPGSR(8, 13)
    out = model(connectomes(2, 8))
    hr_adj = connectomes(2, 13, seed=1)
    loss = model.loss(out, hr_adj)
    upper = torch.ones(13, 13, dtype=torch.bool).triu(1)
    expected = (out.hr_adj - hr_adj)[:, upper].abs().mean()
    assert torch.allclose(loss.total, expected) and torch.equal(loss.hr, loss.total)
    assert loss.eig == 0 and loss.rec == 0


def test_same_seed_same_numbers_with_dropout(connectomes):
    lr_adj = connectomes(2, 8)
    preds = []
    for _ in range(2):
        torch.manual_seed(5)
        preds.append(STPGSR(8, 12, preset='paper')(lr_adj).hr_adj)
    assert torch.equal(*preds)


def test_heads_that_do_not_divide_hr_nodes(connectomes):
    model = STPGSR(8, 13, init_heads=4)
    assert model.init_conv.out_channels == 4
    assert model(connectomes(1, 8)).hr_adj.shape == (1, 13, 13)


@pytest.mark.parametrize('options,match', [
    (dict(init_heads=0), 'init_heads must be an int in'),
    (dict(init_heads=14), 'init_heads must be an int in'),
    (dict(dropout=1.), 'dropout must be in'),
])
def test_rejects_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        STPGSR(8, 13, **options)


def test_rejects_sizes_that_do_not_fit(connectomes):
    with pytest.raises(ValueError, match='hr_nodes >= 3'):
        STPGSR(2, 2)
    with pytest.raises(ValueError, match='hr_nodes .*lr_nodes'):
        STPGSR(12, 8)
    model = STPGSR(8, 12)
    with pytest.raises(ValueError, match='9 nodes but 8'):
        model(connectomes(2, 9))
    out = model(connectomes(2, 8))
    with pytest.raises(ValueError, match='11 nodes but 12'):
        model.loss(out, connectomes(2, 11))
    with pytest.raises(ValueError, match='hr_adj holds 3 subjects'):
        model.loss(out, connectomes(3, 12))
    with pytest.raises(TypeError, match='unknown model option'):
        STPGSR(8, 12, lambda_rec=1.)


def test_config_and_repr():
    model = STPGSR(8, 12, preset='paper', dual_channels=[4])
    config = model.get_config()
    assert config == dict(name='STPGSR', lr_nodes=8, hr_nodes=12, init_heads=4,
                          dual_channels=(4,), dropout=0.2, structured=True,
                          residual=False)
    assert type(build_model(config)) is STPGSR
    assert repr(model) == 'STPGSR(8, 12, dual_nodes=66, residual=False)'
    assert model.hr_padded == 12 and not model.spectral


def test_fit_lowers_the_loss(connectomes):
    data = (connectomes(6, 8), connectomes(6, 12, seed=2))
    torch.manual_seed(0)
    history = fit(STPGSR(8, 12, preset='paper'), data, epochs=30, batch_size=3,
                  learning_rate=1e-2, progress=False)
    assert history['total'][-1] < 0.7 * history['total'][0]


def linear_pairs(num_subjects, seed):
    r"""LR connectomes and HR ones that are a fixed linear map of them,
    ``|M A_l M^T|`` rescaled, plus noise: a learnable, subject-specific
    relation on weighted connectomes."""
    gen = torch.Generator().manual_seed(seed)
    lr = torch.rand(num_subjects, 8, 8, generator=gen)
    lr = (lr + lr.transpose(-1, -2)) / 2
    mix = torch.rand(12, 8, generator=torch.Generator().manual_seed(100))
    hr = (mix @ lr @ mix.t()) / 16
    hr = hr + 0.01 * torch.randn(hr.shape, generator=gen)
    hr = (hr + hr.transpose(-1, -2)) / 2
    lr.diagonal(dim1=-2, dim2=-1).fill_(1.)
    hr.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return lr, hr


def test_recommended_starts_near_the_mean_and_learns_beyond_it():
    lr, hr = linear_pairs(60, seed=0)
    train, test = (lr[:48], hr[:48]), (lr[48:], hr[48:])
    torch.manual_seed(0)
    model = STPGSR(8, 12)
    model.initialize(*train)
    upper = torch.ones(12, 12, dtype=torch.bool).triu(1)
    mean = train[1].mean(0)
    start = model(test[0]).hr_adj
    assert (start[:, upper] - mean[upper]).abs().max() < 0.05
    fit(model, train, progress=False, seed=0)
    mae = (predict(model, test[0]) - test[1])[:, upper].abs().mean()
    mean_mae = (mean - test[1])[:, upper].abs().mean()
    assert mae < 0.7 * mean_mae


def test_checkpoint_round_trip(tmp_path, connectomes):
    data = (connectomes(4, 8), connectomes(4, 12, seed=2))
    torch.manual_seed(0)
    model = STPGSR(8, 12, preset='paper')
    path = str(tmp_path / 'stp.pt')
    fit(model, data, epochs=2, batch_size=2, checkpoint=path, progress=False)
    loaded, _ = load_checkpoint(path)
    assert type(loaded) is STPGSR and loaded.get_config() == model.get_config()
    assert torch.equal(predict(loaded, data[0]), predict(model, data[0]))


def test_presets_are_stp_gsr_own(connectomes):
    assert STPGSR(8, 12, preset='paper').config == PAPER_STP
    assert STPGSR(8, 12).config == RECOMMENDED_STP
    with pytest.raises(ValueError, match="unknown preset 'gsr_only'"):
        STPGSR(8, 12, preset='gsr_only')
