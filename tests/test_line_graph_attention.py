r"""The structured line graph attention (blocks of rows, hand-written
backward, counter-based dropout) against autograd through a plain
re-statement of its definition, with the same keep mask."""
import pytest
import torch

from torch_gsr.nn.conv import line_graph_attention
from torch_gsr.nn.conv.line_graph_attention import KeepMask, LineGraphAttention
from torch_gsr.utils.counter_random import random_seed, splitmix64_

pytestmark = pytest.mark.usefixtures('one_thread')
B, H, N = 2, 2, 7


def symmetric(seed, channels):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, H, N, N, channels, generator=gen, dtype=torch.float64)
    x = x + x.transpose(2, 3)
    eye = torch.eye(N, dtype=torch.bool).view(1, 1, N, N, 1)
    return x.masked_fill(eye, 0.).requires_grad_()


def by_definition(query, key, value, kept, keep_probability):
    r"""Dual node {i, j} attends over {i, k} (row [i, j], key K[i, k], value
    V[i, k]) and {j, k} (row [j, i]), k not in {i, j}: one softmax over both
    rows; coefficients where ``kept`` is 0 are zeroed, the rest scaled by
    1 / keep_probability."""
    eye = torch.eye(N, dtype=torch.bool)
    not_neighbour = eye.view(N, N, 1) | eye.view(N, 1, N) | eye.view(1, N, N)
    logits = (query @ key.transpose(-1, -2)).masked_fill(not_neighbour, float('-inf'))
    both = torch.cat([logits, logits.transpose(2, 3)], -1)
    alpha = torch.nan_to_num(torch.softmax(both, -1))
    keep = torch.cat([kept, kept.transpose(2, 3)], -1) / keep_probability
    shape = (B, H, N, N, N, query.size(-1))
    values = torch.cat([value.unsqueeze(3).expand(shape),
                        value.unsqueeze(2).expand(shape)], -2)
    return ((alpha * keep).unsqueeze(-1) * values).sum(-2)


def keep_mask(seed, p):
    r"""The ``[B, H, n, n, n]`` mask that :class:`KeepMask` draws (stored
    rows first, ``[i, slab, j, k]``) and its keep probability."""
    like = torch.empty(0, dtype=torch.float64)
    mask = KeepMask(seed, p, B * H, N, N, like)
    return mask(0, N).transpose(0, 1).reshape(B, H, N, N, N), mask.keep_probability


@pytest.mark.parametrize('channels', [1, 3])
@pytest.mark.parametrize('p', [0., 0.3])
@pytest.mark.parametrize('block', [1, 1 << 19])
def test_forward_and_backward_match_the_definition(monkeypatch, channels, p, block):
    # block 1: every block holds one row; 1 << 19: one block holds them all.
    monkeypatch.setattr(line_graph_attention, 'BLOCK_ELEMENTS', block)
    inputs = [symmetric(seed, channels) for seed in range(3)]
    gen = torch.Generator().manual_seed(9)
    weights = torch.randn(B, H, N, N, channels, generator=gen, dtype=torch.float64)
    upper = torch.ones(N, N, dtype=torch.bool).triu(1).view(1, 1, N, N, 1)
    weights = weights * upper
    ours = LineGraphAttention.apply(*inputs, p, 1234)
    grads = torch.autograd.grad((ours * weights).sum(), inputs)
    kept, keep_probability = (keep_mask(1234, p) if p else
                              (torch.ones(B, H, N, N, N, dtype=torch.float64), 1.))
    if p:
        assert 0.5 < kept.mean() < 0.9
    expected = by_definition(*inputs, kept, keep_probability)
    torch.testing.assert_close(ours * upper, expected * upper, rtol=0, atol=1e-12)
    expected_grads = torch.autograd.grad((expected * weights).sum(), inputs)
    for ours_grad, expected_grad in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(ours_grad, expected_grad, rtol=0, atol=1e-12)


def test_block_size_changes_nothing(monkeypatch):
    inputs = [symmetric(seed, 1) for seed in range(3)]
    outs = []
    for block in (1, 2 * N * N * B * H, 1 << 19):
        monkeypatch.setattr(line_graph_attention, 'BLOCK_ELEMENTS', block)
        out = LineGraphAttention.apply(*inputs, 0.2, 77)
        outs.append([out, *torch.autograd.grad(out.sum(), inputs)])
    for other in outs[1:]:
        for a, b in zip(outs[0], other, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-13)


def splitmix64_by_definition(seed, count):
    r"""SplitMix64's first ``count`` outputs for ``seed``, in Python
    integers: add the golden gamma, then xor-shift 30, multiply, xor-shift
    27, multiply, xor-shift 31, all modulo 2^64."""
    outputs, state, mask = [], seed % 2 ** 64, 2 ** 64 - 1
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        outputs.append(z ^ (z >> 31))
    return outputs


@pytest.mark.parametrize('seed', [0, 1234567, -(2 ** 63), 2 ** 63 - 1])
def test_splitmix64_is_the_published_generator(seed):
    # States seed + t gamma (t >= 1), wrapping, as int64.
    states = [(seed + t * 0x9E3779B97F4A7C15) % 2 ** 64 for t in range(1, 65)]
    states = torch.tensor([s - 2 ** 64 if s >= 2 ** 63 else s for s in states])
    ours = splitmix64_(states, torch.empty_like(states)).tolist()
    assert [x % 2 ** 64 for x in ours] == splitmix64_by_definition(seed, 64)


def test_keep_mask_draws_independent_bernoullis():
    like = torch.empty(0)
    masks = [KeepMask(seed, 0.2, 3, 40, 40, like)(0, 40) for seed in (1, 2)]
    assert masks[0].shape == (40, 3, 40, 40)
    for mask in masks:
        # 192,000 draws: the keep rate's standard error is 0.0009.
        assert abs(mask.mean().item() - 0.8) < 0.005
        # Neighbouring coefficients, slabs and seeds are uncorrelated.
        for a, b in ((mask[..., :-1], mask[..., 1:]), (mask[:, 0], mask[:, 1])):
            assert abs(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1]) < 0.02
    pair = torch.stack([masks[0].flatten(), masks[1].flatten()])
    assert abs(torch.corrcoef(pair)[0, 1]) < 0.02
    assert KeepMask(1, 0.3, 1, 5, 5, like).keep_probability == 1 - 19661 / 65536


def test_seeds_come_from_torch_generator():
    torch.manual_seed(3)
    first = random_seed()
    torch.manual_seed(3)
    assert random_seed() == first != random_seed()
