r"""STP-GSR against an independent re-implementation of the released code
(``tests/official/stp_reference.py``, basiralab/STP-GSR at 239abd9): the
package model's weights are copied into the reference and outputs and losses
compared in float64, eval mode."""
import pytest
import torch
from official import stp_reference as ref
from official.releases import OFFICIAL, release_module

from torch_gsr.nn import STPGSR
from torch_gsr.nn.conv.line_graph_conv import matrix_to_edges
from torch_gsr.train import fit

pytestmark = pytest.mark.usefixtures('one_thread')


def sparse_connectomes(num_subjects, num_nodes, seed):
    r"""Symmetric non-negative connectomes with exact zeros (about a third
    of the entries) and a unit diagonal, in float64."""
    gen = torch.Generator().manual_seed(seed)
    adj = torch.rand(num_subjects, num_nodes, num_nodes, generator=gen,
                     dtype=torch.float64)
    adj = (adj + adj.transpose(-1, -2)) / 2
    adj = adj * (adj > 0.35)
    adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return adj


def weights_of(model: STPGSR, seed: int = 0) -> dict:
    r"""The package model's parameters under the reference's names. The
    package drops the key bias (the softmax cancels it): the reference gets
    a random one, so the comparison also shows that it does not matter."""
    gen = torch.Generator().manual_seed(seed)
    w = {}
    for ours, theirs in (('init_conv', 'init'), ('dual_convs.0', 'dual')):
        conv = model.get_submodule(ours)
        for part in ('query', 'value', 'skip'):
            lin = getattr(conv, f'lin_{part}')
            w[f'{theirs}.{part}.weight'] = lin.weight.detach()
            w[f'{theirs}.{part}.bias'] = lin.bias.detach()
        w[f'{theirs}.key.weight'] = conv.lin_key.weight.detach()
        w[f'{theirs}.key.bias'] = torch.randn(conv.lin_key.weight.size(0),
                                              generator=gen, dtype=torch.float64)
        if conv.lin_edge is not None:
            w[f'{theirs}.edge.weight'] = conv.lin_edge.weight.detach()
    for ours, theirs in (('init_norm', 'init.norm'), ('dual_norms.0', 'dual.norm')):
        norm = model.get_submodule(ours)
        for name in ('weight', 'bias', 'mean_scale'):
            w[f'{theirs}.{name}'] = getattr(norm, name).detach()
    return w


def perturbed(model: STPGSR, seed: int) -> STPGSR:
    r"""``model`` with every GraphNorm parameter moved off its initial value
    (weight 1, bias 0, mean scale 1), so the comparison covers them."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for norm in (model.init_norm, *model.dual_norms):
            for param in norm.parameters():
                param.add_(0.2 * torch.randn(param.shape, generator=gen,
                                             dtype=param.dtype))
    return model


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_dual_learner_matches_the_released_code(seed):
    lr_nodes, hr_nodes = 6, 8
    torch.manual_seed(seed)
    model = perturbed(STPGSR(lr_nodes, hr_nodes, preset='paper').double().eval(), seed)
    w = weights_of(model, seed)
    gen = torch.Generator().manual_seed(seed)
    initial = torch.rand(1, hr_nodes, hr_nodes, generator=gen, dtype=torch.float64)
    initial = (initial + initial.transpose(-1, -2)) / 2
    ours = matrix_to_edges(model.decode(initial.unsqueeze(-1)))[0]
    theirs = ref.dual_learner(w, matrix_to_edges(initial)[0].unsqueeze(-1), hr_nodes)
    torch.testing.assert_close(ours, theirs.squeeze(-1), rtol=0, atol=1e-10)


def test_initializer_matches_the_released_code():
    r"""The initialiser (transformer over all LR pairs, GraphNorm, ReLU)
    equals the released one to 1e-10."""
    torch.manual_seed(0)
    model = perturbed(STPGSR(6, 8, preset='paper').double().eval(), 0)
    w = weights_of(model)
    lr_adj = sparse_connectomes(2, 6, seed=0)
    z = model.encode(lr_adj)
    for ours, adj in zip(z, lr_adj, strict=True):
        mask = torch.ones(1, 6, 6, dtype=torch.bool)
        theirs = ref.attention(w, 'init', adj, mask, 4, edge_attr=adj.t())
        theirs = torch.relu(ref.graph_norm(w, 'init.norm', theirs))
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-10)


def test_reference_initializer_attends_over_every_pair():
    r"""The released initialiser attends over all ``N^2`` LR pairs, zero
    weights and self-loops included; restricting the reference to the
    non-zero off-diagonal pairs changes its output (so the equivalence test
    below can tell the two apart)."""
    torch.manual_seed(0)
    model = perturbed(STPGSR(6, 8, preset='paper').double().eval(), 0)
    w = weights_of(model)
    lr_adj = sparse_connectomes(1, 6, seed=0)[0]
    full = ref.initializer(w, lr_adj, heads=4)
    mask = ((lr_adj != 0) & ~torch.eye(6, dtype=torch.bool)).unsqueeze(0)
    z = ref.attention(w, 'init', lr_adj, mask, 4, edge_attr=lr_adj.t())
    z = torch.relu(ref.graph_norm(w, 'init.norm', z))
    restricted = ref.upper(ref.min_max(z.t() @ z)).unsqueeze(-1)
    assert (full - restricted).abs().max() > 1e-3


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_paper_preset_is_the_released_model(seed):
    r"""``STPGSR(preset='paper')`` = the released forward and L1 loss to
    1e-10 (float64, eval mode), on connectomes with zero entries."""
    lr_nodes, hr_nodes = 6, 8
    torch.manual_seed(seed)
    model = perturbed(STPGSR(lr_nodes, hr_nodes, preset='paper').double().eval(), seed)
    w = weights_of(model, seed)
    lr_adj = sparse_connectomes(3, lr_nodes, seed)
    hr_adj = sparse_connectomes(3, hr_nodes, seed + 10)
    out = model(lr_adj)
    ours = matrix_to_edges(out.hr_adj)
    theirs = torch.stack([ref.forward(w, a, hr_nodes).squeeze(-1) for a in lr_adj])
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-10)
    loss = model.loss(out, hr_adj).total
    expected = torch.stack([ref.loss(p.unsqueeze(-1), h)
                            for p, h in zip(theirs, hr_adj, strict=True)]).mean()
    torch.testing.assert_close(loss, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize('seed', [0, 1])
def test_paper_training_is_the_released_loop(seed):
    r"""``fit(preset='paper')`` (attention dropout off in both; 2 subjects per
    step instead of 16 so that 5 subjects make 3 steps an epoch, and the
    order matters) = the released loop from the same weights: Adam, a new
    order every epoch (the package's seeded generator in both), summed
    per-subject L1 gradients. The key bias cancels in the softmax, so the
    package has none and the reference's stays fixed."""
    torch.manual_seed(seed)
    model = perturbed(STPGSR(6, 8, preset='paper', dropout=0.).double(), seed)
    initial = {k: v.clone() for k, v in weights_of(model, seed).items()}
    lr_adj, hr_adj = sparse_connectomes(5, 6, seed), sparse_connectomes(5, 8, seed + 10)
    fit(model, (lr_adj, hr_adj), preset='paper', epochs=2, accumulate=2, seed=seed,
        progress=False)
    keys = ('init.key.bias', 'dual.key.bias')
    theirs = ref.train(initial, lr_adj, hr_adj, 8, learning_rate=1e-3, epochs=2,
                       accumulate=2, order=torch.Generator().manual_seed(seed),
                       frozen=keys)
    ours = weights_of(model, seed)
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], rtol=0, atol=1e-9,
                                   msg=lambda m, n=name: f'{n}: {m}')
    # Training moved the weights, but the dual GraphNorm's bias: the min-max
    # after it cancels a shift wherever the ReLU passes, so its gradient is ~0.
    still = [n for n in ours if (ours[n] - initial[n]).abs().max() < 1e-6]
    assert set(still) - set(keys) <= {'dual.norm.bias'}, still


def test_paper_dropout_is_the_released_configs():
    r"""The release trains with attention dropout 0.2 in both transformers
    (configs/model/stp_gsr.yaml:7, 15): the paper preset's every attention
    layer drops that share, in training only."""
    yaml = pytest.importorskip('yaml', reason='PyYAML reads the release config')
    release_module('stp-gsr', 'src.dual_graph_utils')  # skips without ../shared
    config = yaml.safe_load((OFFICIAL / 'stp-gsr' / 'configs' / 'model' /
                             'stp_gsr.yaml').read_text())
    model = STPGSR(6, 8, preset='paper')
    assert model.init_conv.dropout == config['target_edge_initializer']['dropout']
    assert [conv.dropout for conv in model.dual_convs] == \
        [config['dual_learner']['dropout']]
    lr_adj = sparse_connectomes(1, 6, 0).float()
    model.train()
    first, second = model(lr_adj).hr_adj, model(lr_adj).hr_adj
    assert (first - second).abs().max() > 1e-6
    model.eval()
    torch.testing.assert_close(model(lr_adj).hr_adj, model(lr_adj).hr_adj)


@pytest.mark.parametrize('seed', [0, 1])
def test_paper_preset_is_the_official_module(seed):
    r"""``STPGSR(preset='paper')`` = the official ``STPGSR``
    (``src/models/stp_gsr.py``, its own dual graph and input graphs) to
    1e-10 in float64, eval mode: the predicted upper triangle and the L1
    loss."""
    from official.release_weights import copy_stp, stp_config
    released_module = release_module('stp-gsr', 'src.models.stp_gsr')
    dataset = release_module('stp-gsr', 'src.dataset')
    lr_nodes, hr_nodes = 6, 8
    torch.manual_seed(seed)
    model = perturbed(STPGSR(lr_nodes, hr_nodes, preset='paper').double().eval(), seed)
    released = released_module.STPGSR(stp_config(lr_nodes, hr_nodes)).double().eval()
    copy_stp(model, released, seed)
    lr_adj = sparse_connectomes(2, lr_nodes, seed)
    hr_adj = sparse_connectomes(2, hr_nodes, seed + 10)
    out = model(lr_adj)
    with torch.no_grad():
        theirs = [released(dataset.create_pyg_graph(a, lr_nodes), h)
                  for a, h in zip(lr_adj, hr_adj, strict=True)]
    ours = matrix_to_edges(out.hr_adj)
    torch.testing.assert_close(ours, torch.stack([p.squeeze(-1) for p, _ in theirs]),
                               rtol=0, atol=1e-10)
    expected = torch.stack([(p - t).abs().mean() for p, t in theirs]).mean()
    torch.testing.assert_close(model.loss(out, hr_adj).total, expected.double(),
                               rtol=0, atol=1e-7)
