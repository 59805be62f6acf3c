r"""Bi-SR and DEFEND beyond the generic model tests: the bipartite
transformer against PyG's, bad options, the recommended design's start."""
import pytest
import torch
from torch_geometric.nn import TransformerConv

from torch_gsr.nn import DEFEND, STPGSR, BipartiteTransformerConv, BiSR
from torch_gsr.nn.conv.line_graph_conv import matrix_to_edges

pytestmark = pytest.mark.usefixtures('one_thread')


def symmetric(num_subjects, num_nodes, seed):
    gen = torch.Generator().manual_seed(seed)
    adj = torch.rand(num_subjects, num_nodes, num_nodes, generator=gen)
    return (adj + adj.transpose(-1, -2)) / 2


def test_bipartite_conv_equals_transformer_conv_on_the_bipartite_graph():
    torch.manual_seed(0)
    conv = BipartiteTransformerConv(5, 3, heads=2).eval()
    pyg = TransformerConv(5, 3, heads=2).eval()
    state = dict(conv.state_dict(), **{'lin_key.bias': torch.randn(6)})
    pyg.load_state_dict(state)
    source, target = torch.randn(2, 4, 5), torch.randn(7, 5)
    ours = conv(source, target)
    # Nodes 0-3 send to nodes 4-10 (one graph at a time).
    edge_index = torch.cartesian_prod(torch.arange(4), torch.arange(4, 11)).t()
    for b in range(2):
        theirs = pyg(torch.cat([source[b], target]), edge_index)
        torch.testing.assert_close(ours[b], theirs[4:], rtol=1e-5, atol=1e-6)
        # A source node receives nothing: its output is its root term.
        torch.testing.assert_close(conv.lin_skip(source[b]), theirs[:4])


@pytest.mark.parametrize('cls', [BiSR, DEFEND])
@pytest.mark.parametrize('options,match', [
    (dict(initializer='node2vec'), 'initializer must be one of'),
    (dict(initializer='linear_algebraic', refine_target=True), 'refine_target needs'),
    (dict(min_max_scale=True), 'residual=False'),
    (dict(dropout=1.), 'dropout must be in'),
    (dict(heads=0), 'heads must be an int'),
])
def test_bad_options(cls, options, match):
    with pytest.raises(ValueError, match=match):
        cls(6, 8, **options)


def test_defend_needs_three_hr_nodes():
    with pytest.raises(ValueError, match='hr_nodes >= 3'):
        DEFEND(2, 2)


@pytest.mark.parametrize('cls', [BiSR, DEFEND])
@pytest.mark.parametrize('initializer', ['linear_algebraic', 'bi_lc', 'bi_mp'])
def test_recommended_starts_near_the_training_mean(cls, initializer):
    torch.manual_seed(0)
    model = cls(6, 8, initializer=initializer)
    lr_adj, hr_adj = symmetric(5, 6, 0), symmetric(5, 8, 1)
    model.initialize(lr_adj, hr_adj)
    pred = model(lr_adj).hr_adj
    mean = hr_adj.mean(0).expand_as(pred)
    gap = (matrix_to_edges(pred) - matrix_to_edges(mean)).abs()
    assert 0 < gap.max() < 0.05


def test_bi_mp_embeddings_are_kept_in_checkpoints():
    torch.manual_seed(0)
    model = BiSR(6, 8, preset='paper', initializer='bi_mp')
    state = model.state_dict()
    assert 'initializer.hr_embeddings' in state
    torch.manual_seed(1)
    other = BiSR(6, 8, preset='paper', initializer='bi_mp')
    assert not torch.equal(other.initializer.hr_embeddings, model.initializer.hr_embeddings)
    other.load_state_dict(state)
    lr_adj = symmetric(2, 6, 2)
    assert torch.equal(other.eval()(lr_adj).hr_adj, model.eval()(lr_adj).hr_adj)


def test_defend_with_the_linear_algebraic_initializer_is_stp_gsr():
    torch.manual_seed(0)
    stp = STPGSR(6, 8, preset='paper', structured=True).double().eval()
    defend = DEFEND(6, 8, preset='paper').double().eval()
    names = {'init_conv': 'initializer.lr_conv', 'init_norm': 'initializer.lr_norm'}
    state = {}
    for name, value in stp.state_dict().items():
        head, _, rest = name.partition('.')
        state[f'{names.get(head, head)}.{rest}'] = value
    defend.load_state_dict(state)
    lr_adj = symmetric(3, 6, 3).double()
    torch.testing.assert_close(defend(lr_adj).hr_adj, stp(lr_adj).hr_adj, rtol=0, atol=1e-12)


@pytest.mark.parametrize('preset', ['paper', 'recommended'])
@pytest.mark.parametrize('initializer', ['bi_lc', 'bi_mp'])
def test_every_parameter_of_the_refined_initializer_learns(preset, initializer):
    torch.manual_seed(0)
    model = BiSR(6, 8, preset=preset, initializer=initializer, refine_target=True,
                 heads=2, hidden_channels=4)
    model.loss(model(symmetric(3, 6, 4)), symmetric(3, 8, 5)).total.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
