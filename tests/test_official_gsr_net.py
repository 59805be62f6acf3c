r"""GSR-Net against an independent re-implementation of the released code
(``tests/official/gsr_reference.py``, basiralab/GSR-Net at bb54332), float64,
eval mode. ``preset='paper'`` is the released model with its defects fixed
(``docs/models/gsr_net.md``): the package model's weights are copied into
the reference and outputs and every loss term compared; each fix that
changes numbers is shown to change them (so the table and the tests cannot
drift apart silently); the ``recommended`` preset's departures likewise."""
import pytest
import torch
import torch.nn.functional as F
from official import gsr_reference as ref
from official.weights import connectomes, generator_weights

from torch_gsr.nn import GSRNet
from torch_gsr.nn.losses import eig_loss, hr_loss, rec_loss
from torch_gsr.utils.spectra import hr_eigvecs, lr_eigvecs

pytestmark = pytest.mark.usefixtures('one_thread')

RATIOS = (0.9, 0.7, 0.6, 0.5)  # demo.py:99


weights_of = generator_weights


def paper_model(seed, lr_nodes=10, hr_nodes=18):
    torch.manual_seed(seed)
    return GSRNet(lr_nodes, hr_nodes, preset='paper').double().eval()


# 10 -> 18: P = 20 (one padded node each side); 7 -> 19: K = 3, which the
# release hard-codes to 2 (layers.py:26; the reference follows W's size).
SIZES = [(0, 10, 18), (1, 10, 18), (2, 10, 18), (3, 7, 19)]


@pytest.mark.parametrize('seed,lr_nodes,hr_nodes', SIZES)
def test_paper_preset_is_the_released_model(seed, lr_nodes, hr_nodes):
    model = paper_model(seed, lr_nodes, hr_nodes)
    assert model.config.generator == 'released'
    w = weights_of(model)
    lr_adj = connectomes(3, lr_nodes, seed)
    hr_adj = connectomes(3, hr_nodes, seed + 7)
    out = model(lr_adj)
    loss = model.loss(out, hr_adj)
    terms = {name: [] for name in ('total', 'hr', 'eig', 'rec')}
    for b in range(3):
        # The fix: the U-Net GCNs propagate over the LR graph.
        theirs = ref.forward(w, lr_adj[b], RATIOS, agsr=False, propagate=True)
        for name in ('z0', 'z_lr', 'out'):
            ours = out.padded_hr_adj[b] if name == 'out' else getattr(out, name)[b]
            torch.testing.assert_close(ours, theirs[name], rtol=0, atol=1e-8)
        torch.testing.assert_close(out.a_hr[b], theirs['adj'], rtol=0, atol=1e-8)
        torch.testing.assert_close(out.hr_adj[b], ref.unpad(theirs['out'], hr_nodes),
                                   rtol=0, atol=1e-8)
        one = ref.generator_loss(w, theirs, hr_adj[b], lambda_rec=16.,
                                 padded_hr_loss=False)
        for name in terms:
            terms[name].append(one[name])
    for name, values in terms.items():
        # Equal subject sizes: the batch MSE is the mean of the subjects'.
        torch.testing.assert_close(getattr(loss, name), torch.stack(values).mean(),
                                   rtol=0, atol=1e-8)


def test_fix_unet_propagation_changes_the_model():
    r"""ops.py:50: the released U-Net GCNs skip the product with ``A`` (each
    is ``Linear(X)``, so the embedding ignores the LR graph but for the
    pooling); the package restores it. With the same weights the outputs
    differ, and the release's ``Z_0`` is the same for every subject."""
    model = paper_model(0)
    w = weights_of(model)
    lr_adj = connectomes(2, 10, seed=0)
    out = model(lr_adj)
    released = [ref.forward(w, lr_adj[b], RATIOS, agsr=False) for b in range(2)]
    torch.testing.assert_close(released[0]['z0'], released[1]['z0'])
    assert not torch.allclose(out.z0[0], out.z0[1], atol=1e-3)
    for b in range(2):
        assert (out.padded_hr_adj[b] - released[b]['out']).abs().max() > 1e-3
        assert (out.z_lr[b] - released[b]['z_lr']).abs().max() > 1e-3


def test_fix_every_unet_layer_is_registered_and_trained():
    r"""ops.py:63-73: the released down/up GCNs and pools sit in Python
    lists, so ``model.parameters()`` misses them (never trained, not saved);
    the package registers them: every one is in the ``state_dict`` and gets
    a gradient."""
    model = paper_model(0)
    names = set(model.state_dict())
    for i in range(len(RATIOS)):
        assert {f'encoder.down.{i}.weight', f'encoder.up.{i}.weight',
                f'encoder.pools.{i}.lin.weight'} <= names
    model.loss(model(connectomes(2, 10, seed=1)), connectomes(2, 18, seed=2)).total.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_lr_eigenvectors_are_those_of_the_released_normalisation():
    lr_adj = connectomes(3, 7, seed=0)
    ours = lr_eigvecs(lr_adj)
    for u, adj in zip(ours, lr_adj, strict=True):
        a = ref.degree_normalize(adj)
        # Same matrix, same eigensolver: the same eigenvectors (column
        # signs included).
        torch.testing.assert_close(u, torch.linalg.eigh(a).eigenvectors,
                                   rtol=0, atol=1e-10)


@pytest.mark.parametrize('preset', ['paper', 'recommended'])
def test_gsr_product_matches(preset):
    torch.manual_seed(0)
    model = GSRNet(8, 15, preset=preset).double()
    lr_adj = connectomes(2, 8, 0)
    z = torch.randn(2, 8, 16, dtype=torch.float64)
    u = lr_eigvecs(lr_adj)
    ours = model.gsr.product(z, u)
    w = model.gsr.weight.detach()
    for b in range(2):
        s_d = torch.cat([torch.eye(8, dtype=torch.float64)] * 2)
        torch.testing.assert_close(ours[b], w @ s_d @ u[b].t() @ z[b],
                                   rtol=0, atol=1e-10)


def test_gsr_graph_paper_is_released_recommended_symmetrises():
    r"""layers.py:30-38: the released layer normalises ``|f_d|`` without
    symmetrising it, as ``paper`` does; the package's own layer
    (``generator='gsr_net'``) symmetrises first (the paper's text): equal
    on symmetric products only."""
    product = torch.randn(16, 16, dtype=torch.float64)
    eye = torch.eye(16, dtype=torch.float64)
    for preset in ('paper', 'recommended'):
        model = GSRNet(8, 15, preset=preset, mean_residual=False).double()
        for prod, symmetric in ((product + product.t(), True), (product, False)):
            a_hr, x_hr = model.gsr.graph(prod.unsqueeze(0))
            # gsr_layer with W = I, S_d U0^T = I reproduces f_d = |prod|.
            adj, x = ref.gsr_layer(prod, eye, eye, normalize=True, lr_eigvecs=eye)
            close = torch.allclose(a_hr[0], adj, atol=1e-10) and \
                torch.allclose(x_hr[0], x, atol=1e-10)
            assert close == (symmetric or preset == 'paper')


def test_recommended_eigen_target_pads_with_zeros():
    r"""preprocessing.py:9-13 pads the HR target with a unit diagonal
    (``paper`` too); the ``recommended`` preset's loss pads with zeros."""
    hr_adj = connectomes(1, 10, seed=0)
    padded_theirs = ref.pad_target(hr_adj[0], 12)
    ours = hr_eigvecs(hr_adj, 12)[0]
    theirs = torch.linalg.eigh(padded_theirs).eigenvectors
    assert not torch.allclose(ours.abs(), theirs.abs(), atol=1e-3)
    weight = torch.randn(12, 12, dtype=torch.float64)
    assert not torch.isclose(eig_loss(weight, ours.unsqueeze(0)),
                             F.mse_loss(weight, theirs), atol=1e-4)


def test_mse_terms_are_the_released_ones():
    a, b = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(hr_loss(a, b), F.mse_loss(a, b))
    torch.testing.assert_close(rec_loss(a, b), F.mse_loss(b, a))
