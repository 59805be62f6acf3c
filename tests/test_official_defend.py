r"""Bi-SR and DEFEND against the released code (basiralab/DEFEND at 5f9aef6):
the package model's weights are copied into an independent re-implementation
(``tests/official/defend_reference.py``) and into the official modules
themselves (``release_module``), and outputs and losses compared in float64,
eval mode, for all three node initialisers."""
import pytest
import torch
from official import defend_reference as ref
from official.release_weights import defend_config, load_into
from official.releases import release_module

from torch_gsr.nn import DEFEND, BiSR
from torch_gsr.nn.conv.line_graph_conv import matrix_to_edges

pytestmark = pytest.mark.usefixtures('one_thread')

LR, HR = 6, 8
CASES = [('linear_algebraic', False), ('bi_lc', False), ('bi_lc', True),
         ('bi_mp', False), ('bi_mp', True)]
#: And under the reference's (tests/official/defend_reference.py).
REFERENCE_NAMES = {'lr_conv': 'lr', 'lr_norm': 'lr.norm', 'bipartite': 'bi',
                   'bipartite_norm': 'bi.norm', 'refine': 'refine',
                   'refine_norm': 'refine.norm'}
LIN = {'lin_query': 'query', 'lin_key': 'key', 'lin_value': 'value',
       'lin_skip': 'skip', 'lin_edge': 'edge'}


def connectomes(num_subjects, num_nodes, seed):
    r"""Symmetric non-negative float64 connectomes with exact zeros and a
    unit diagonal."""
    gen = torch.Generator().manual_seed(seed)
    adj = torch.rand(num_subjects, num_nodes, num_nodes, generator=gen, dtype=torch.float64)
    adj = (adj + adj.transpose(-1, -2)) / 2
    adj = adj * (adj > 0.35)
    adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return adj


def model_of(cls, initializer, refine, seed, **options):
    r"""A ``'paper'`` model in float64 and eval mode, every GraphNorm moved
    off its initial values so that the comparison covers them."""
    torch.manual_seed(seed)
    model = cls(LR, HR, preset='paper', initializer=initializer, refine_target=refine,
                **options).double().eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if 'norm' in name:
                param.add_(0.2 * torch.randn_like(param))
    return model


def reference_weights(model, seed=0):
    r"""The package model's weights under the reference's names; the
    package has no key bias (the softmax cancels it), the reference gets a
    random one."""
    gen = torch.Generator().manual_seed(seed)
    modules = {f'initializer.{ours}': theirs for ours, theirs in REFERENCE_NAMES.items()}
    modules.update({'dual_convs.0': 'dual', 'dual_norms.0': 'dual.norm'})
    w = {}
    for name, value in model.state_dict().items():
        parts = name.split('.')
        if name == 'initializer.hr_embeddings':
            w['hr_embeddings'] = value
        else:
            rest = [LIN.get(part, part) for part in parts[2:]]
            w['.'.join([modules['.'.join(parts[:2])], *rest])] = value
    for key in [k for k in w if k.endswith('.key.weight')]:
        w[key.replace('.weight', '.bias')] = torch.randn(
            w[key].size(0), generator=gen, dtype=torch.float64)
    return w


def brain_config(initializer, refine, binarize=False):
    return defend_config(LR, HR, initializer, refine, binarize)


def release_input(adj):
    return release_module('defend', 'data.utils').create_pyg_graph(adj, adj.size(0))


@pytest.mark.parametrize('initializer,refine', CASES)
def test_bi_sr_matches_the_reference(initializer, refine):
    model = model_of(BiSR, initializer, refine, seed=1)
    w = reference_weights(model)
    lr_adj, hr_adj = connectomes(2, LR, 0), connectomes(2, HR, 1)
    out = model(lr_adj)
    theirs = torch.stack([ref.bi_sr(w, initializer, a, refine=refine) for a in lr_adj])
    torch.testing.assert_close(out.a_hr, theirs, rtol=0, atol=1e-10)
    expected = torch.stack([ref.bi_sr_loss(p, h)
                            for p, h in zip(theirs, hr_adj, strict=True)]).mean()
    torch.testing.assert_close(model.loss(out, hr_adj).total, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize('initializer,refine', CASES)
def test_defend_matches_the_reference(initializer, refine):
    model = model_of(DEFEND, initializer, refine, seed=2)
    w = reference_weights(model)
    lr_adj = connectomes(2, LR, 3)
    theirs = torch.stack([ref.defend(w, initializer, a, refine=refine).squeeze(-1)
                          for a in lr_adj])
    torch.testing.assert_close(matrix_to_edges(model(lr_adj).hr_adj), theirs,
                               rtol=0, atol=1e-10)


@pytest.mark.parametrize('initializer,refine', CASES)
def test_bi_sr_matches_the_official_module(initializer, refine):
    model = model_of(BiSR, initializer, refine, seed=3)
    bi_sr = release_module('defend', 'models.bi_sr')
    embeddings = getattr(model.initializer, 'hr_embeddings', None)
    released = load_into(bi_sr.load_bi_sr_model(brain_config(initializer, refine),
                                                 embeddings), model)
    lr_adj, hr_adj = connectomes(2, LR, 4), connectomes(2, HR, 5)
    out = model(lr_adj)
    with torch.no_grad():
        theirs = torch.stack([released(release_input(a)) for a in lr_adj])
    torch.testing.assert_close(out.a_hr, theirs, rtol=0, atol=1e-10)
    # The release's training loss (runs/brain/main.py:79, 128-131) on its
    # zero-diagonal HR matrices.
    expected = torch.stack([torch.nn.functional.l1_loss(p, h.fill_diagonal_(0.))
                            for p, h in zip(theirs, hr_adj.clone(), strict=True)]).mean()
    torch.testing.assert_close(model.loss(out, hr_adj).total, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize('initializer,refine', CASES)
def test_defend_matches_the_official_module(initializer, refine):
    model = model_of(DEFEND, initializer, refine, seed=4)
    dual_sr = release_module('defend', 'models.dual_sr')
    utils = release_module('defend', 'data.utils')
    embeddings = getattr(model.initializer, 'hr_embeddings', None)
    released = load_into(dual_sr.load_dual_model(brain_config(initializer, refine),
                                                 embeddings), model)
    dual_edge_index, _ = utils.create_dual_graph(torch.ones(HR, HR))
    lr_adj = connectomes(2, LR, 6)
    # The release's dual targets are float32 (data/utils.py:189-202).
    hr_adj = connectomes(2, HR, 7).float().double()
    out = model(lr_adj)
    with torch.no_grad():
        theirs = [released(release_input(a), dual_edge_index) for a in lr_adj]
    torch.testing.assert_close(matrix_to_edges(out.hr_adj), torch.stack(theirs).squeeze(-1),
                               rtol=0, atol=1e-10)
    expected = torch.stack([
        torch.nn.functional.l1_loss(p, utils.create_dual_graph_feature_matrix(h))
        for p, h in zip(theirs, hr_adj, strict=True)]).mean()
    torch.testing.assert_close(model.loss(out, hr_adj).total, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize('cls', [BiSR, DEFEND])
def test_binarize_matches_the_official_module(cls):
    model = model_of(cls, 'bi_lc', False, seed=5, binarize=True)
    config = brain_config('bi_lc', False, binarize=True)
    embeddings = None
    if cls is BiSR:
        released = release_module('defend', 'models.bi_sr').load_bi_sr_model(config, embeddings)
        run = lambda g: released(g)  # noqa: E731
    else:
        released = release_module('defend', 'models.dual_sr').load_dual_model(config, embeddings)
        edge_index, _ = release_module('defend', 'data.utils').create_dual_graph(
            torch.ones(HR, HR))
        run = lambda g: released(g, edge_index).squeeze(-1)  # noqa: E731
    load_into(released, model)
    lr_adj = connectomes(2, LR, 8)
    out = model(lr_adj)
    ours = out.a_hr if cls is BiSR else matrix_to_edges(out.hr_adj)
    with torch.no_grad():
        theirs = torch.stack([run(release_input(a)) for a in lr_adj])
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-10)


def test_paper_presets_are_the_brain_configuration():
    config = brain_config('linear_algebraic', False)
    model, data, run = config.model, config.data, config.experiment
    for cls in (BiSR, DEFEND):
        paper = cls(LR, HR, preset='paper').config
        assert (paper.initializer, paper.heads, paper.hidden_channels, paper.dropout) == (
            release_module('defend', 'configs.brain').Config.model.sr_method,
            model.num_heads, model.hidden_dim, model.dropout)
        assert (paper.refine_target, paper.min_max_scale, paper.binarize) == (
            model.refine_target, model.min_max_scale, model.binarize)
        assert not model.multi_dim_edge and model.edge_dim == 1 and not model.beta
        assert data.node_feat_init == 'adj'
        fit = cls.fit_presets['paper']
        assert (fit.learning_rate, fit.epochs, fit.batch_size * fit.accumulate) == (
            run.lr, run.max_epochs, run.batch_size)
        assert (fit.patience, fit.warm_up) == (run.patience, run.warm_up_epochs)
    assert DEFEND(LR, HR, preset='paper').config.dual_channels == ()
    assert (model.dual_node_in_dim, model.dual_node_out_dim) == (1, 1)
