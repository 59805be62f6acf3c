r"""AGSR-Net against an independent re-implementation of the released code
(``tests/official/gsr_reference.py``, basiralab/AGSR-Net at 73d5bc8): the
package model's weights are copied into the reference and outputs and every
loss term compared in float64, eval mode. The fixed defects (the
generator's adversarial term, the label convention, the unregistered
layers) are named in ``docs/models/agsr_net.md``."""
import pytest
import torch
from official import gsr_reference as ref
from official.weights import connectomes, generator_weights

from torch_gsr.nn import AGSRNet

pytestmark = pytest.mark.usefixtures('one_thread')

RATIOS = (0.9, 0.7, 0.6, 0.5)


def weights_of(model: AGSRNet) -> dict:
    r"""The package model's parameters under the reference's names."""
    w = generator_weights(model)
    for i, lin in enumerate(model.discriminator.lins):
        w[f'disc.{i}'] = lin.weight.t().detach()
    return w


def released_model(seed, lr_nodes=10, hr_nodes=18):
    torch.manual_seed(seed)
    return AGSRNet(lr_nodes, hr_nodes, preset='paper').double().eval()


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_paper_preset_forward_is_the_released_generator(seed):
    model = released_model(seed)
    assert model.config.generator == 'released'
    w = weights_of(model)
    lr_adj = connectomes(3, 10, seed)
    out = model(lr_adj)
    for b in range(3):
        theirs = ref.forward(w, lr_adj[b], RATIOS, agsr=True)
        torch.testing.assert_close(out.z0[b], theirs['z0'], rtol=0, atol=1e-10)
        torch.testing.assert_close(out.z_lr[b], theirs['z_lr'], rtol=0, atol=1e-10)
        torch.testing.assert_close(out.padded_hr_adj[b], theirs['out'], rtol=0,
                                   atol=1e-10)
        torch.testing.assert_close(out.hr_adj[b], ref.unpad(theirs['out'], 18),
                                   rtol=0, atol=1e-10)


@pytest.mark.parametrize('seed', [0, 1])
def test_paper_preset_loss_is_the_released_loss(seed):
    r"""train.py:39-58: the generator's terms on the padded matrices, the
    discriminator on padded rows and prior samples; the generator's
    adversarial term scores the prediction (the fix)."""
    model = released_model(seed)
    w = weights_of(model)
    lr_adj, hr_adj = connectomes(2, 10, seed), connectomes(2, 18, seed + 5)
    out = model(lr_adj)
    torch.manual_seed(100 + seed)
    loss = model.loss(out, hr_adj)
    torch.manual_seed(100 + seed)
    noise = 0.1 * torch.randn(2, 20, 20, dtype=torch.float64)
    terms = {name: [] for name in ('total', 'hr', 'eig', 'rec')}
    for b in range(2):
        fwd = ref.forward(w, lr_adj[b], RATIOS, agsr=True)
        gen_terms = ref.generator_loss(w, fwd, hr_adj[b], lambda_rec=0.1,
                                       padded_hr_loss=True)
        prior = ref.prior_sample(ref.pad_target(hr_adj[b], 20), noise[b])
        gen, disc = ref.adversarial_losses(w, fwd['out'], prior)
        gen_terms['total'] = gen_terms['total'] + gen + disc
        for name in terms:
            terms[name].append(gen_terms[name])
    for name, values in terms.items():
        torch.testing.assert_close(getattr(loss, name), torch.stack(values).mean(),
                                   rtol=0, atol=1e-10)


def test_released_layers_are_registered_and_trained():
    r"""The released U-Net keeps its level GCNs and pools in Python lists
    (ops.py:63-73), so they are never trained; here every one is a
    parameter of the model and gets a gradient."""
    model = released_model(0).train()
    out = model(connectomes(2, 10, 0))
    model.loss(out, connectomes(2, 18, 1)).total.backward()
    for name in ('down', 'up', 'pools'):
        for param in getattr(model.encoder, name).parameters():
            assert param.grad is not None and param.grad.abs().sum() > 0
