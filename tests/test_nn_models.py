import inspect
from dataclasses import fields, replace

import pytest
import torch

from torch_gsr.config import GSR_PAPER_FIT, PAPER_FIT, RECOMMENDED_FIT
from torch_gsr.nn import (
    MODELS,
    PAPER_GSR,
    RECOMMENDED_GSR,
    AGSRConfig,
    BiSRConfig,
    DeepGSR,
    DEFENDConfig,
    DirectSRConfig,
    EnsembleConfig,
    GraphUAutoencoder,
    GSRAutoencoder,
    GSRConfig,
    GSRLayerOnly,
    GSRNet,
    NodeMapConfig,
    STPConfig,
    SuperResolutionModel,
    build_model,
    preset_options,
    register_model,
)
from torch_gsr.utils import hr_eigvecs, lr_eigvecs, unpad_hr

ALL_MODELS = list(MODELS.values())
PRESETS = ['paper', 'recommended']


@pytest.mark.parametrize('preset', PRESETS)
@pytest.mark.parametrize('lr_nodes,hr_nodes,padded', [
    (160, 268, 320), (10, 20, 20), (10, 23, 30), (9, 9, 9), (7, 12, 14)])
def test_output_shapes(connectomes, lr_nodes, hr_nodes, padded, preset):
    model = GSRNet(lr_nodes, hr_nodes, preset=preset)
    assert model.hr_padded == padded
    out = model(connectomes(2, lr_nodes))
    assert out.hr_adj.shape == (2, hr_nodes, hr_nodes)
    assert out.padded_hr_adj.shape == (2, padded, padded)
    assert out.z0.shape == out.z_lr.shape == (2, lr_nodes, padded)
    hr = out.hr_adj
    assert torch.equal(hr, hr.transpose(-1, -2))
    assert bool((hr >= 0).all())
    assert torch.equal(hr.diagonal(dim1=-2, dim2=-1), torch.ones(2, hr_nodes))


@pytest.mark.parametrize('cls', ALL_MODELS)
def test_single_matrix_input(connectomes, cls):
    model = cls(8, 13)
    assert model(connectomes(1, 8)[0]).hr_adj.shape == (1, 13, 13)


@pytest.mark.parametrize('preset', PRESETS)
@pytest.mark.parametrize('cls', ALL_MODELS)
def test_batch_equals_single_calls(connectomes, cls, preset):
    torch.manual_seed(0)
    # Evaluation mode: AGSR-Net's input noise and STP-GSR's attention
    # dropout draw random numbers in training mode.
    model = cls(12, 20, preset=preset).double().eval()
    lr_adj = connectomes(4, 12, dtype=torch.float64)
    batched = model(lr_adj).hr_adj
    singles = torch.cat([model(lr_adj[b]).hr_adj for b in range(4)])
    assert torch.allclose(batched, singles, atol=1e-10)


# The released STP-GSR/DEFEND dual learner ends with GraphNorm(1), ReLU and a
# min-max over the graph: with the norm's bias at its initial 0, scaling its
# weight scales every edge alike, which the min-max undoes (up to its 1e-8
# epsilon), so the weight's gradient is rounding noise at initialisation.
SCALE_INVARIANT = {('STPGSR', 'paper'): {'dual_norms.0.weight'},
                   ('DEFEND', 'paper'): {'dual_norms.0.weight'}}


@pytest.mark.parametrize('preset', PRESETS)
@pytest.mark.parametrize('cls', ALL_MODELS)
def test_every_parameter_gets_a_gradient(connectomes, cls, preset):
    torch.manual_seed(0)
    model = cls(10, 17, preset=preset)
    out = model(connectomes(3, 10))
    model.loss(out, connectomes(3, 17, seed=1)).total.backward()
    invariant = SCALE_INVARIANT.get((cls.__name__, preset), ())
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        if name in invariant:  # rounding noise only, whatever its sign
            assert param.grad.abs().sum() < 1e-6, name
        else:
            assert param.grad.abs().sum() > 0, name


def test_registered_sub_layers():
    model = GSRNet(10, 20, pool_ratios=(0.9, 0.7, 0.5))
    unet = model.encoder
    assert isinstance(unet, GraphUAutoencoder)
    assert len(unet.pools) == len(unet.down_convs) == len(unet.up_convs) == 3
    names = {name.split('.')[1] for name, _ in model.named_parameters()
             if name.startswith('encoder.')}
    assert names == {'start_conv', 'pools', 'down_convs', 'up_convs'}


def test_unet_depends_on_the_graph(connectomes):
    # The released code's "GCN" ignored the adjacency: two subjects gave the
    # same embedding. Ours must not.
    torch.manual_seed(0)
    unet = GraphUAutoencoder(10, 20)
    z0, z_lr = unet(None, connectomes(2, 10))
    assert not torch.allclose(z0[0], z0[1])
    assert not torch.allclose(z_lr[0], z_lr[1])


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('cls', ALL_MODELS)
def test_dtype_follows_input(connectomes, cls, dtype):
    model = cls(6, 10).to(dtype)
    out = model(connectomes(2, 6, dtype=dtype))
    loss = model.loss(out, connectomes(2, 10, dtype=dtype))
    assert out.hr_adj.dtype == loss.total.dtype == dtype


def test_precomputed_spectra_give_the_same_loss(connectomes):
    torch.manual_seed(0)
    # The package's spectral generator (the released one computes its own
    # upper-triangle U0 and eigen target: tests/test_official_*.py).
    model = GSRNet(8, 14, preset='paper', generator='gsr_net', pool_ratios=(0.9, 0.7)).double()
    lr_adj = connectomes(3, 8, dtype=torch.float64)
    hr_adj = connectomes(3, 14, seed=3, dtype=torch.float64)
    lazy = model.loss(model(lr_adj), hr_adj)
    cached = model.loss(model(lr_adj, lr_eigvecs=lr_eigvecs(lr_adj)), hr_adj,
                        hr_eigvecs=hr_eigvecs(hr_adj, model.hr_padded))
    for a, b in zip(lazy, cached, strict=True):
        assert torch.allclose(a, b)


def test_loss_terms(connectomes):
    torch.manual_seed(0)
    model = GSRNet(8, 14, lambda_rec=3.)
    out = model(connectomes(2, 8))
    hr_adj = connectomes(2, 14, seed=1)
    loss = model.loss(out, hr_adj)
    assert torch.allclose(loss.hr, ((out.hr_adj - hr_adj) ** 2).mean())
    assert torch.allclose(loss.rec, 3 * ((out.z0 - out.z_lr) ** 2).mean())
    assert torch.allclose(loss.total, loss.hr + loss.eig + loss.rec)
    no_rec = GSRLayerOnly(8, 14)
    assert no_rec.loss(no_rec(connectomes(2, 8)), hr_adj).rec == 0


@pytest.mark.parametrize('preset', PRESETS)
@pytest.mark.parametrize('cls', [GSRNet, DeepGSR])
def test_training_drives_the_loss_down(connectomes, cls, preset):
    torch.manual_seed(0)
    model = cls(8, 14, preset=preset)
    lr_adj, hr_adj = connectomes(1, 8), connectomes(1, 14, seed=5)
    u0, u1 = lr_eigvecs(lr_adj), hr_eigvecs(hr_adj, model.hr_padded)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(300):
        optimizer.zero_grad()
        loss = model.loss(model(lr_adj, u0), hr_adj, u1).total
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5


# Non-default options of each model family (``config_class``).
NON_DEFAULT_OPTIONS = {
    GSRConfig: dict(lambda_rec=2., pool_ratios=(0.8,)),
    AGSRConfig: dict(lambda_rec=2., pool_ratios=(0.8,), adv_weight=0.5),
    STPConfig: dict(init_heads=2, dual_channels=(3,)),
    DirectSRConfig: dict(heads=3, dropout=0.1),
    NodeMapConfig: dict(map_decay=1e-3, ridge_blend=False),
    EnsembleConfig: dict(members=('NodeMapGSR',), weight_grid=5, interval_scale='constant',
                         member_preset='paper'),
    BiSRConfig: dict(initializer='bi_mp', refine_target=True, heads=2, hidden_channels=4),
    DEFENDConfig: dict(initializer='bi_mp', heads=2, hidden_channels=4, dual_channels=(3,)),
}


@pytest.mark.parametrize('cls', ALL_MODELS)
def test_config_round_trip(connectomes, cls):
    # A model added later round-trips with its defaults until it is listed.
    model = cls(6, 11, **NON_DEFAULT_OPTIONS.get(cls.config_class, {})).eval()
    rebuilt = build_model(model.get_config()).eval()
    rebuilt.load_state_dict(model.state_dict())
    lr_adj = connectomes(2, 6)
    assert type(rebuilt) is cls
    assert torch.equal(rebuilt(lr_adj).hr_adj, model(lr_adj).hr_adj)


def test_repr():
    assert repr(GSRNet(160, 268)) == 'GSRNet(160, 268, hr_padded=320)'
    assert repr(GSRAutoencoder(160, 268).encoder) == (
        'GraphUAutoencoder(160, 320, pool_ratios=(0.9, 0.7), root_weight=True)')
    assert repr(GSRNet(160, 268, preset='paper').head) == 'ReleasedHead(320, 320, relu=False)'


# --- bad input ------------------------------------------------------------

def test_rejects_hr_smaller_than_lr():
    with pytest.raises(ValueError, match='hr_nodes .*lr_nodes'):
        GSRNet(20, 10)


@pytest.mark.parametrize('bad,match', [
    (torch.rand(2, 8, 9), 'square'),
    (torch.rand(2, 9, 9), '9 nodes but 8'),
    (torch.rand(2, 2, 8, 8), r'\[N, N\] or \[B, N, N\]'),
])
def test_rejects_bad_shapes(bad, match):
    with pytest.raises(ValueError, match=match):
        GSRNet(8, 12)(bad)


def test_rejects_non_finite_and_asymmetric(connectomes):
    model = GSRNet(8, 12)
    lr_adj = connectomes(3, 8)
    nan = lr_adj.clone()
    nan[2, 1, 1] = float('nan')
    with pytest.raises(ValueError, match='subject index 2.*NaN or inf'):
        model(nan)
    inf = lr_adj.clone()
    inf[1, 0, 3] = inf[1, 3, 0] = float('inf')
    with pytest.raises(ValueError, match='subject index 1.*NaN or inf'):
        model(inf)
    asym = lr_adj.clone()
    asym[1, 0, 3] += 0.5
    with pytest.raises(ValueError, match='subject index 1.*not symmetric'):
        model(asym)


def test_rejects_mismatched_batches(connectomes):
    model = GSRNet(8, 12)
    lr_adj = connectomes(3, 8)
    with pytest.raises(ValueError, match='lr_eigvecs must have shape'):
        model(lr_adj, lr_eigvecs=lr_eigvecs(lr_adj[:2]))
    out = model(lr_adj)
    with pytest.raises(ValueError, match='hr_adj holds 2 subjects'):
        model.loss(out, connectomes(2, 12))
    with pytest.raises(ValueError, match='11 nodes but 12'):
        model.loss(out, connectomes(3, 11))


def test_rejects_non_tensors():
    with pytest.raises(TypeError, match='torch.Tensor'):
        GSRNet(4, 8)([[1.] * 4] * 4)
    with pytest.raises(TypeError, match='floating-point'):
        GSRNet(4, 8)(torch.ones(4, 4, dtype=torch.long))


def test_node_basis_model_ignores_eigenvectors(connectomes):
    torch.manual_seed(0)
    model = GSRNet(8, 14, spectral=False, node_features='adjacency')
    lr_adj = connectomes(2, 8)
    scrambled = torch.linalg.qr(torch.randn(2, 8, 8)).Q
    assert torch.equal(model(lr_adj).hr_adj,
                       model(lr_adj, lr_eigvecs=scrambled).hr_adj)


def test_rejects_unknown_options():
    with pytest.raises(ValueError, match='node_features'):
        GSRNet(8, 14, node_features='degree')


def test_presets_set_the_defaults_and_options_override_them():
    paper = GSRNet(8, 14, preset='paper')
    assert paper.get_config() == dict(
        name='GSRNet', lr_nodes=8, hr_nodes=14, hidden_channels=None,
        pool_ratios=(0.9, 0.7, 0.6, 0.5), lambda_rec=16., sign_invariant_eig=False,
        dropout=0., node_features='identity', normalize_gsr=True,
        spectral=True, act='relu', lr_top_k=None, root_weight=False,
        mean_residual=False, generator='released')
    default = GSRNet(8, 14)
    assert default.get_config()['spectral'] is False
    assert default.get_config()['node_features'] == 'adjacency'
    assert default.get_config()['root_weight'] is True
    assert default.get_config()['mean_residual'] is True
    mixed = GSRNet(8, 14, preset='paper', lambda_rec=2.)
    assert mixed.lambda_rec == 2. and mixed.spectral


def test_rejects_unknown_option_and_preset():
    with pytest.raises(TypeError, match='unknown model option'):
        GSRNet(8, 14, hidden=3)
    with pytest.raises(ValueError, match='unknown preset'):
        GSRNet(8, 14, preset='fast')


def test_unet_accepts_unbatched_input(connectomes):
    torch.manual_seed(0)
    unet = GraphUAutoencoder(10, 20)
    adj = connectomes(1, 10)
    for single, batched in zip(unet(None, adj[0]), unet(None, adj), strict=True):
        assert torch.allclose(single, batched[0], atol=1e-6)


def test_validate_off_skips_value_checks_but_not_shapes(connectomes):
    model = GSRNet(8, 12)
    asym = connectomes(2, 8)
    asym[1, 0, 3] += 0.5
    assert model(asym, validate=False).hr_adj.shape == (2, 12, 12)
    with pytest.raises(ValueError, match='9 nodes but 8'):
        model(connectomes(2, 9), validate=False)


# --- mean_residual ----------------------------------------------------------

def _silence(model):
    """Zeroes the GSR weight and the head's last GCN: no learned output."""
    torch.nn.init.zeros_(model.gsr.weight)
    if model.head is not None:
        last = model.head.convs[-1]
        for param in (last.lin.weight, last.lin_root.weight, last.bias):
            torch.nn.init.zeros_(param)


@pytest.mark.parametrize('cls', [GSRNet, GSRAutoencoder, GSRLayerOnly])
def test_mean_residual_starts_from_the_training_means(connectomes, cls):
    lr_adj, hr_adj = connectomes(5, 8), connectomes(5, 14, seed=3)
    torch.manual_seed(0)
    model = cls(8, 14, mean_residual=True)
    assert model.hr_mean.shape == (16, 16) and not model.hr_mean.any()
    model.initialize(lr_adj, hr_adj)
    assert torch.allclose(model.lr_mean, lr_adj.mean(0))
    assert torch.allclose(unpad_hr(model.hr_mean, 14), hr_adj.mean(0))
    _silence(model)
    assert torch.allclose(model(lr_adj[:2]).hr_adj,
                          hr_adj.mean(0).expand(2, 14, 14), atol=1e-6)


def test_mean_residual_carries_the_subject_through_the_skip(connectomes):
    # The signed GSR product reaches the prediction, so two subjects differ
    # even where the head's output is silenced.
    lr_adj, hr_adj = connectomes(4, 8), connectomes(4, 14, seed=3)
    torch.manual_seed(0)
    model = GSRNet(8, 14, mean_residual=True)
    model.initialize(lr_adj, hr_adj)
    _silence(model)
    torch.nn.init.normal_(model.gsr.weight, std=0.1)
    out = model(lr_adj[:2])
    assert not torch.allclose(out.hr_adj[0], out.hr_adj[1], atol=1e-4)
    out.hr_adj.sum().backward()
    assert model.gsr.weight.grad.abs().sum() > 0


def test_mean_residual_initialize_rejects_bad_data(connectomes):
    model = GSRNet(8, 14, mean_residual=True)
    with pytest.raises(ValueError, match='5 subjects but hr_adj holds 4'):
        model.initialize(connectomes(5, 8), connectomes(4, 14))
    with pytest.raises(ValueError, match='hr_adj'):
        model.initialize(connectomes(5, 8), connectomes(5, 12))
    bad = connectomes(5, 8)
    bad[2, 0, 1] = float('nan')
    with pytest.raises(ValueError, match='lr_adj'):
        model.initialize(bad, connectomes(5, 14))
    # Without the option initialize changes nothing.
    plain = GSRNet(8, 14, mean_residual=False)
    before = {k: v.clone() for k, v in plain.state_dict().items()}
    plain.initialize(connectomes(5, 8), connectomes(5, 14))
    assert all(torch.equal(before[k], v) for k, v in plain.state_dict().items())


def test_fit_sets_the_means_from_the_training_subjects(connectomes):
    from torch_gsr.train import fit
    lr_adj, hr_adj = connectomes(6, 8), connectomes(6, 14, seed=3)
    model = GSRNet(8, 14)
    fit(model, (lr_adj, hr_adj), epochs=1, val_fraction=0, progress=False)
    assert torch.allclose(unpad_hr(model.hr_mean, 14), hr_adj.mean(0), atol=1e-6)
    assert torch.allclose(model.lr_mean, lr_adj.mean(0), atol=1e-6)


def test_build_model_is_strict():
    # Configs saved before an option existed are upgraded by the checkpoint
    # migration (torch_gsr.train), not here: a missing option is an error.
    config = GSRNet(8, 14).get_config()
    for key in ('lr_top_k', 'root_weight', 'mean_residual'):
        del config[key]
    with pytest.raises(TypeError, match=r"lacks \['lr_top_k', 'mean_residual', "
                                        r"'root_weight'\] and has unknown keys \[\]"):
        build_model(config)
    with pytest.raises(TypeError, match=r"unknown keys \['depth'\]"):
        build_model(dict(GSRNet(8, 14).get_config(), depth=2))
    with pytest.raises(TypeError, match="no 'name'"):
        build_model(dict(lr_nodes=8, hr_nodes=14))
    with pytest.raises(ValueError, match="unknown model 'UNet'"):
        build_model(dict(name='UNet'))


def test_signatures_show_every_option_with_its_default():
    params = inspect.signature(GSRNet).parameters
    assert params['lambda_rec'].default == 0.1
    assert params['pool_ratios'].default == (0.9, 0.7)
    assert params['act'].default == 'elu' and params['preset'].default == 'recommended'
    for cls in ALL_MODELS:
        params = inspect.signature(cls).parameters
        assert [name for name in params if name not in ('lr_nodes', 'hr_nodes', 'preset')] \
            == [f.name for f in fields(cls.config_class)], cls
        defaults = cls.config_class()
        for f in fields(cls.config_class):
            assert params[f.name].default == getattr(defaults, f.name), (cls, f.name)


def test_explicit_options_override_the_preset_even_at_the_default_value():
    paper = GSRNet(8, 12, preset='paper')
    assert paper.config == PAPER_GSR and paper.lambda_rec == 16.
    # 0.1 is the signature's default, yet passed explicitly it wins.
    mixed = GSRNet(8, 12, preset='paper', lambda_rec=0.1)
    assert mixed.config == replace(PAPER_GSR, lambda_rec=0.1)
    assert GSRNet(8, 12, 'paper', act='elu').config.act == 'elu'
    assert GSRNet(8, 12).config == RECOMMENDED_GSR


def test_registry_is_read_only_and_filled_by_registration():
    with pytest.raises(TypeError):
        MODELS['Other'] = GSRNet
    assert {'GSRNet', 'GSRLayerOnly', 'DeepGSR', 'GSRAutoencoder', 'AGSRNet', 'STPGSR',
            'NodeMapGSR', 'EnsembleGSR'} <= set(MODELS)
    assert all(name == cls.__name__ for name, cls in MODELS.items())
    with pytest.raises(ValueError, match="a model named 'GSRNet' is already"):
        register_model(type('GSRNet', (GSRNet,), {}))
    with pytest.raises(TypeError, match='SuperResolutionModel subclass'):
        register_model(torch.nn.Linear)
    assert register_model(GSRNet) is GSRNet  # registering again is harmless


def test_contract_defaults():
    model = GSRNet(8, 12)
    assert model.after_fit(None, None) == {} and model.derived_state_keys() == []
    # Issue 27: the GSR-Net family's paper schedule keeps the subjects' order.
    assert GSRNet.fit_presets['paper'] == replace(PAPER_FIT, shuffle=False) == GSR_PAPER_FIT
    assert GSRNet.fit_presets['recommended'] == RECOMMENDED_FIT
    assert not SuperResolutionModel.spectral and GSRNet(8, 12, preset='paper').spectral
    with pytest.raises(TypeError, match='abstract'):
        SuperResolutionModel()


def test_preset_options_checks_the_signature_against_the_config():
    with pytest.raises(TypeError, match="recommended preset's values as defaults"):
        @preset_options(NodeMapConfig)
        def wrong_default(self, lr_nodes, hr_nodes, preset='recommended', *,
                          map_decay=1e-3, ridge_blend=True):
            pass
    with pytest.raises(TypeError, match='keyword-only arguments'):
        @preset_options(NodeMapConfig)
        def missing_option(self, lr_nodes, hr_nodes, preset='recommended', *,
                           map_decay=1e-5):
            pass


def test_the_contract_is_declared_once():
    # Every model writes super_resolve; forward (reading any input) and the
    # optional capabilities live on the base only.
    from torch_gsr.nn import SuperResolutionModel
    for name, cls in MODELS.items():
        for inherited in ('forward', 'predict_intervals', 'read_input'):
            assert inherited not in vars(cls), (name, inherited)
        assert 'super_resolve' in vars(cls) or cls.__mro__[1] is not SuperResolutionModel
