r"""The structured line graph attention's hand-written backward, with and
without attention dropout, against autograd through a plain re-statement of
its definition (the same dropout draws)."""
import pytest
import torch

from torch_gsr.nn.conv.line_graph_conv import LineGraphAttention

pytestmark = pytest.mark.usefixtures('one_thread')
B, H, N, C = 2, 2, 5, 3


def symmetric(seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, H, N, N, C, generator=gen, dtype=torch.float64)
    x = x + x.transpose(2, 3)
    eye = torch.eye(N, dtype=torch.bool).view(1, 1, N, N, 1)
    return x.masked_fill(eye, 0.).requires_grad_()


def by_definition(query, key, value, dropped, p):
    r"""Dual node {i, j} attends over {i, k} (row [i, j], key K[i, k], value
    V[i, k]) and {j, k} (row [j, i]), k not in {i, j}: one softmax over both
    rows, dropped attention coefficients zeroed, the rest scaled by 1/(1-p)."""
    eye = torch.eye(N, dtype=torch.bool)
    not_neighbour = eye.view(N, N, 1) | eye.view(N, 1, N) | eye.view(1, N, N)
    logits = (query @ key.transpose(-1, -2)).masked_fill(not_neighbour, float('-inf'))
    both = torch.cat([logits, logits.transpose(2, 3)], -1)
    alpha = torch.nan_to_num(torch.softmax(both, -1))
    keep = torch.cat([~dropped, (~dropped).transpose(2, 3)], -1).to(value) / (1 - p)
    shape = (B, H, N, N, N, C)
    values = torch.cat([value.unsqueeze(3).expand(shape),
                        value.unsqueeze(2).expand(shape)], -2)
    return ((alpha * keep).unsqueeze(-1) * values).sum(-2)


@pytest.mark.parametrize('p', [0., 0.3])
def test_forward_and_backward_match_the_definition(p):
    inputs = [symmetric(seed) for seed in range(3)]
    gen = torch.Generator().manual_seed(9)
    weights = torch.randn(B, H, N, N, C, generator=gen, dtype=torch.float64)
    upper = torch.ones(N, N, dtype=torch.bool).triu(1).view(1, 1, N, N, 1)
    weights = weights * upper
    torch.manual_seed(5)
    ours = LineGraphAttention.apply(*inputs, p)
    grads = torch.autograd.grad((ours * weights).sum(), inputs)
    torch.manual_seed(5)
    dropped = torch.rand(B, H, N, N, N, dtype=torch.float64) < p
    if p:
        assert 0.15 < dropped.double().mean() < 0.45
    expected = by_definition(*inputs, dropped, p)
    torch.testing.assert_close(ours * upper, expected * upper, rtol=0, atol=1e-12)
    expected_grads = torch.autograd.grad((expected * weights).sum(), inputs)
    for ours_grad, expected_grad in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(ours_grad, expected_grad, rtol=0, atol=1e-12)
