import pytest
import torch

from torch_gsr.nn import GSRLayer, eig_loss
from torch_gsr.utils import lr_eigvecs, normalize_adj, padded_size


@pytest.mark.parametrize('lr_nodes,hr_nodes', [(6, 12), (5, 13), (7, 7)])
def test_matches_materialised_sd(connectomes, lr_nodes, hr_nodes):
    torch.manual_seed(0)
    layer = GSRLayer(lr_nodes, hr_nodes).double()
    padded = padded_size(lr_nodes, hr_nodes)
    lr_adj = connectomes(2, lr_nodes, dtype=torch.float64)
    z_lr = torch.randn(2, lr_nodes, padded, dtype=torch.float64)
    u0 = lr_eigvecs(lr_adj)
    a_hr, x_hr = layer(z_lr, u0)

    eye = torch.eye(lr_nodes, dtype=torch.float64)
    s_d = torch.cat([eye] * (padded // lr_nodes), dim=0)
    for b in range(2):
        expected = (layer.weight @ s_d @ u0[b].T @ z_lr[b]).abs()
        expected = (expected + expected.T) / 2
        expected.fill_diagonal_(1.)
        expected = normalize_adj(expected)
        assert torch.allclose(a_hr[b], expected)
        features = expected @ expected.T
        features.fill_diagonal_(1.)
        assert torch.allclose(x_hr[b], features)
    assert torch.allclose(a_hr, a_hr.transpose(-1, -2))
    assert torch.equal(x_hr, x_hr.transpose(-1, -2))


def test_shapes_and_repr():
    layer = GSRLayer(160, 268)
    assert layer.weight.shape == (320, 320)
    assert repr(layer) == 'GSRLayer(160, 268, hr_padded=320)'


def test_sign_invariant_eig_loss_ignores_eigenvector_signs():
    torch.manual_seed(0)
    weight = torch.randn(6, 6)
    eigvecs = torch.linalg.eigh(torch.randn(2, 6, 6) @ torch.randn(2, 6, 6).mT
                                ).eigenvectors
    flipped = eigvecs * torch.tensor([1., -1., 1., -1., -1., 1.])
    assert torch.allclose(eig_loss(weight, eigvecs, sign_invariant=True),
                          eig_loss(weight, flipped, sign_invariant=True))
    assert not torch.allclose(eig_loss(weight, eigvecs),
                              eig_loss(weight, flipped))
    # Each column scores the nearer of +u and -u.
    per_column = torch.minimum((weight - eigvecs).pow(2).sum(-2),
                               (weight + eigvecs).pow(2).sum(-2))
    assert torch.allclose(eig_loss(weight, eigvecs, sign_invariant=True),
                          per_column.mean() / 6)
    assert eig_loss(eigvecs[0], eigvecs[:1], sign_invariant=True) < 1e-6


def test_node_basis_skips_the_eigenvectors(connectomes):
    torch.manual_seed(0)
    layer = GSRLayer(4, 8).double()
    z_lr = torch.randn(2, 4, 8, dtype=torch.float64)
    identity = torch.eye(4, dtype=torch.float64).expand(2, 4, 4)
    for got, want in zip(layer(z_lr, None), layer(z_lr, identity), strict=True):
        assert torch.allclose(got, want)


def test_without_normalisation_the_scale_survives():
    torch.manual_seed(0)
    layer = GSRLayer(4, 8, normalize=False)
    z_lr = torch.rand(1, 4, 8)
    a_small, _ = layer(z_lr, None)
    a_large, _ = layer(3 * z_lr, None)
    off_diagonal = ~torch.eye(8, dtype=torch.bool)
    assert torch.allclose(a_large[0][off_diagonal], 3 * a_small[0][off_diagonal])
    normalized = GSRLayer(4, 8)
    normalized.load_state_dict(layer.state_dict())
    assert not torch.allclose(normalized(3 * z_lr, None)[0][0][off_diagonal],
                              3 * normalized(z_lr, None)[0][0][off_diagonal])
