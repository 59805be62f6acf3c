import pytest
import torch

from torch_gsr.nn import MODELS, NodeMap, NodeMapGSR, build_model


def test_node_map_shape_and_equation(connectomes):
    torch.manual_seed(0)
    layer = NodeMap(6, 11)
    lr_adj = connectomes(3, 6)
    out = layer(lr_adj)
    assert out.shape == (3, 11, 11)
    weight = layer.weight
    assert torch.allclose(out[1], weight @ lr_adj[1] @ weight.T)
    assert layer(lr_adj[0]).shape == (1, 11, 11)
    assert bool((weight >= 0).all()) and bool((weight < 2 / 6).all())
    assert repr(layer) == 'NodeMap(6, 11)'


def test_node_map_gradient_and_dtype(connectomes):
    layer = NodeMap(5, 9).double()
    out = layer(connectomes(2, 5, dtype=torch.float64))
    assert out.dtype == torch.float64
    out.sum().backward()
    assert layer.weight.grad.abs().sum() > 0


def test_softmax_node_map_rows_are_scaled_convex_combinations(connectomes):
    torch.manual_seed(0)
    layer = NodeMap(6, 10, softmax=True)
    assert repr(layer) == 'NodeMap(6, 10, softmax=True)'
    with torch.no_grad():
        layer.scale.fill_(1.5)
    node_map = layer.node_map()
    assert (node_map > 0).all()
    assert torch.allclose(node_map.sum(1), torch.full((10,), 1.5))
    assert torch.allclose(node_map, 1.5 * torch.softmax(6 * layer.weight, dim=1))
    lr_adj = connectomes(2, 6)
    assert torch.allclose(layer(lr_adj), node_map @ lr_adj @ node_map.T, atol=1e-6)
    # A constant LR matrix maps to the same constant times the squared scale.
    assert torch.allclose(layer(torch.ones(6, 6)), torch.full((10, 10), 2.25))
    layer.reset_parameters()
    assert layer.scale.item() == 1 and torch.allclose(layer.node_map().sum(1), torch.ones(10))
    assert NodeMap(6, 10).scale is None  # the plain map has no scale


def test_plain_and_softmax_maps_are_both_available_to_the_model(connectomes):
    torch.manual_seed(0)
    assert NodeMapGSR(6, 10).node_map.softmax  # the default
    plain = NodeMapGSR(6, 10, softmax_map=False)
    assert not plain.node_map.softmax and plain.node_map.scale is None
    assert 'node_map.scale' in NodeMapGSR(6, 10).state_dict()


def test_node_map_rejects_bad_input():
    with pytest.raises(ValueError, match='lr_nodes must be an int'):
        NodeMap(0, 4)
    with pytest.raises(ValueError, match='7 nodes but 5'):
        NodeMap(5, 9)(torch.rand(2, 7, 7))
    with pytest.raises(ValueError, match='square'):
        NodeMap(5, 9)(torch.rand(2, 5, 4))


def test_model_is_registered_and_starts_at_the_training_mean(connectomes):
    assert MODELS['NodeMapGSR'] is NodeMapGSR
    torch.manual_seed(0)
    model = NodeMapGSR(6, 10)
    lr_train, hr_train = connectomes(5, 6), connectomes(5, 10, seed=1)
    model.initialize(lr_train, hr_train)
    assert torch.allclose(model.bias, hr_train.mean(0))
    assert torch.allclose(model.lr_mean, lr_train.mean(0))
    # The training-mean LR connectome maps to no deviation: the mean HR.
    out = model(lr_train.mean(0, keepdim=True))
    assert torch.allclose(out.hr_adj[0], hr_train.mean(0), atol=1e-6)
    assert torch.allclose(out.deviation, torch.zeros(1, 10, 10), atol=1e-6)


def test_forward_equation_and_symmetry(connectomes):
    torch.manual_seed(0)
    model = NodeMapGSR(6, 10).double()
    with torch.no_grad():
        model.gate.normal_()
        model.bias.normal_()
    lr_adj = connectomes(2, 6, dtype=torch.float64)
    out = model(lr_adj)
    expected = model.bias + (1 + model.gate) * out.deviation
    assert torch.allclose(out.hr_adj, (expected + expected.transpose(1, 2)) / 2)
    assert torch.equal(out.hr_adj, out.hr_adj.transpose(1, 2))


def test_loss_adds_the_penalty_on_map_and_gate_only(connectomes):
    torch.manual_seed(0)
    model = NodeMapGSR(6, 10, map_decay=0.5)
    with torch.no_grad():
        model.gate.fill_(0.1)
        model.bias.fill_(3.)  # not penalised
    hr_adj = connectomes(2, 10, seed=1)
    out = model(connectomes(2, 6))
    loss = model.loss(out, hr_adj)
    penalty = 0.25 * (model.node_map.weight.pow(2).sum() + model.gate.pow(2).sum())
    assert torch.allclose(loss.hr, (out.hr_adj - hr_adj).pow(2).mean())
    assert torch.allclose(loss.total, loss.hr + penalty)
    assert loss.eig == 0 and loss.rec == 0


def test_config_round_trip_and_repr(connectomes):
    torch.manual_seed(0)
    model = NodeMapGSR(6, 11, map_decay=1e-3)
    model.initialize(connectomes(4, 6), connectomes(4, 11, seed=2))
    rebuilt = build_model(model.get_config())
    rebuilt.load_state_dict(model.state_dict())
    lr_adj = connectomes(2, 6, seed=3)
    assert type(rebuilt) is NodeMapGSR and rebuilt.map_decay == 1e-3
    assert torch.equal(rebuilt(lr_adj).hr_adj, model(lr_adj).hr_adj)
    assert repr(model) == ('NodeMapGSR(6, 11, map_decay=0.001, ridge_blend=True, '
                           'softmax_map=True)')


def test_model_rejects_bad_input(connectomes):
    with pytest.raises(ValueError, match='map_decay must be >= 0'):
        NodeMapGSR(6, 10, map_decay=-1.)
    with pytest.raises(TypeError, match='unknown model option'):
        NodeMapGSR(6, 10, lambda_rec=1.)
    with pytest.raises(ValueError, match='hr_nodes .*lr_nodes'):
        NodeMapGSR(10, 6)
    model = NodeMapGSR(6, 10)
    with pytest.raises(ValueError, match='lr_adj holds 3 subjects but hr_adj holds 2'):
        model.initialize(connectomes(3, 6), connectomes(2, 10))
    with pytest.raises(ValueError, match='9 nodes but 10'):
        model.initialize(connectomes(3, 6), connectomes(3, 9))
    nan = connectomes(2, 6)
    nan[1, 0, 0] = float('nan')
    with pytest.raises(ValueError, match='subject index 1.*NaN or inf'):
        model(nan)
    with pytest.raises(ValueError, match='hr_adj holds 2 subjects'):
        model.loss(model(connectomes(3, 6)), connectomes(2, 10))
