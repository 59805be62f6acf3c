import pytest
import torch

from torch_gsr.nn import AGSRNet, GSRModel, NoisyGSRLayer
from torch_gsr.train import cross_validate, fit


def generator_parameters(model):
    return {name: p for name, p in model.named_parameters()
            if not name.startswith('discriminator.')}


def grads_of(term, params):
    grads = torch.autograd.grad(term, list(params.values()), retain_graph=True,
                                allow_unused=True)
    return dict(zip(params, grads, strict=True))


@pytest.mark.parametrize('preset', ['paper', 'recommended'])
def test_output_is_a_connectome(connectomes, preset):
    model = AGSRNet(12, 20, preset=preset)
    hr = model(connectomes(3, 12)).hr_adj
    assert hr.shape == (3, 20, 20)
    assert torch.equal(hr, hr.transpose(-1, -2))
    assert bool((hr >= 0).all())
    assert torch.equal(hr.diagonal(dim1=-2, dim2=-1), torch.ones(3, 20))


def test_generator_is_trained_by_the_adversarial_term(connectomes):
    # The released code's generator term scores only prior samples: it is
    # a constant and gives the generator no gradient. Ours must.
    torch.manual_seed(0)
    model = AGSRNet(10, 17)
    out = model(connectomes(3, 10))
    gen, disc = model.adversarial_losses(out.hr_adj, connectomes(3, 17, seed=1))
    generator = generator_parameters(model)
    discriminator = dict(model.discriminator.named_parameters())

    from_gen = grads_of(gen, generator)
    assert sum(float(g.abs().sum()) for g in from_gen.values()
               if g is not None) > 0
    for name in ('gsr.weight', 'head.convs.1.lin.weight',
                 'encoder.start_conv.lin.weight'):
        assert from_gen[name] is not None and from_gen[name].abs().sum() > 0, name
    assert all(g is None for g in grads_of(gen, discriminator).values())

    from_disc = grads_of(disc, discriminator)
    assert all(g is not None and g.abs().sum() > 0 for g in from_disc.values())
    assert all(g is None for g in grads_of(disc, generator).values())


def test_total_holds_both_adversarial_terms(connectomes):
    model = AGSRNet(8, 14).eval()
    lr_adj, hr_adj = connectomes(2, 8), connectomes(2, 14, seed=1)
    out = model(lr_adj)
    torch.manual_seed(3)
    loss = model.loss(out, hr_adj)
    torch.manual_seed(3)
    gen, disc = model.adversarial_losses(out.hr_adj, hr_adj)
    base = GSRModel.loss(model, out, hr_adj)  # GSR-Net's loss, before the adversarial terms
    assert torch.allclose(loss.total, base.total + gen + disc)
    assert torch.allclose(loss.adversarial, gen + disc)
    assert torch.equal(loss.hr, base.hr) and torch.equal(loss.rec, base.rec)
    assert len(loss) == 4


def test_adv_weight_scales_the_generator_term(connectomes):
    torch.manual_seed(0)
    model = AGSRNet(8, 14, adv_weight=1.)
    out = model(connectomes(2, 8))
    hr_adj = connectomes(2, 14, seed=1)
    gen, _ = model.adversarial_losses(out.hr_adj, hr_adj)
    model.adv_weight = 3.
    assert torch.allclose(model.adversarial_losses(out.hr_adj, hr_adj)[0], 3 * gen)


def test_prior_samples_are_connectomes_near_the_target(connectomes):
    model = AGSRNet(8, 14, prior_std=0.05)
    hr_adj = connectomes(4, 14)
    prior = model.sample_prior(hr_adj)
    assert torch.equal(prior, prior.transpose(-1, -2))
    assert bool((prior >= 0).all())
    assert torch.equal(prior.diagonal(dim1=-2, dim2=-1), torch.ones(4, 14))
    spread = (prior - hr_adj).triu(1)
    assert 0 < float(spread.abs().max()) < 0.5


def test_noise_only_in_training(connectomes):
    torch.manual_seed(0)
    model = AGSRNet(8, 14, noise_std=0.1)
    assert isinstance(model.gsr, NoisyGSRLayer)
    lr_adj = connectomes(2, 8)
    assert not torch.equal(model(lr_adj).hr_adj, model(lr_adj).hr_adj)
    model.eval()
    assert torch.equal(model(lr_adj).hr_adj, model(lr_adj).hr_adj)
    quiet = AGSRNet(8, 14, noise_std=0.)
    quiet.load_state_dict(model.state_dict())
    assert torch.equal(quiet.train()(lr_adj).hr_adj, model(lr_adj).hr_adj)


def test_same_seed_same_numbers(connectomes):
    lr_adj, hr_adj = connectomes(3, 8), connectomes(3, 14, seed=1)
    losses = []
    for _ in range(2):
        torch.manual_seed(7)
        model = AGSRNet(8, 14)
        losses.append(torch.stack(list(model.loss(model(lr_adj), hr_adj))))
    assert torch.equal(*losses)


def test_paper_preset(connectomes):
    config = AGSRNet(8, 14, preset='paper').get_config()
    assert config['pool_ratios'] == (0.9, 0.7, 0.6, 0.5)
    assert config['lambda_rec'] == 0.1 and config['spectral']
    assert config['adv_weight'] == 1. and config['prior_std'] == 0.1
    assert AGSRNet(8, 14, disc_channels=5).discriminator.channel_list == [14, 5, 5, 1]


@pytest.mark.parametrize('option', ['adv_weight', 'prior_std', 'noise_std'])
def test_rejects_negative_weights(option):
    with pytest.raises(ValueError, match=f'{option} must be >= 0'):
        AGSRNet(8, 14, **{option: -1.})


def test_rejects_bad_discriminator_width():
    with pytest.raises(ValueError, match='disc_channels must be None or an int'):
        AGSRNet(8, 14, disc_channels=0)


def test_rejects_bad_input_and_unknown_options(connectomes):
    model = AGSRNet(8, 12)
    with pytest.raises(ValueError, match='9 nodes but 8'):
        model(connectomes(2, 9))
    with pytest.raises(ValueError, match='11 nodes but 12'):
        model.loss(model(connectomes(2, 8)), connectomes(2, 11))
    with pytest.raises(TypeError, match='unknown model option'):
        AGSRNet(8, 12, init_heads=2)
    with pytest.raises(ValueError, match='hr_nodes .*lr_nodes'):
        AGSRNet(12, 8)


def test_fit_lowers_the_loss(connectomes):
    data = (connectomes(6, 8), connectomes(6, 14, seed=2))
    torch.manual_seed(0)
    # From a random start (mean_residual would start at the mean, so the
    # loss has less room to fall on unrelated random pairs).
    history = fit(AGSRNet(8, 14, mean_residual=False), data, epochs=25,
                  batch_size=3, learning_rate=3e-3, progress=False)
    assert history['hr'][-1] < 0.5 * history['hr'][0]
    assert all(term in history.records[0] for term in ('total', 'eig', 'rec'))


def test_cross_validate_against_the_baselines(connectomes):
    data = (connectomes(6, 8), connectomes(6, 14, seed=2))
    result = cross_validate(lambda: AGSRNet(8, 14), data, folds=2, epochs=2,
                            progress=False)
    assert result.methods == ['AGSRNet', 'MeanHR', 'RidgeRegression']
    assert result.predictions['AGSRNet'][0].shape == (3, 14, 14)
