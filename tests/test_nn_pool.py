import math

import pytest
import torch

from torch_gsr.nn import GraphPool, GraphUnpool


def test_pool_keeps_top_scoring_nodes(connectomes):
    torch.manual_seed(0)
    adj = connectomes(2, 10)
    x = torch.randn(2, 10, 4)
    pool = GraphPool(4, ratio=0.7)
    x_pooled, adj_pooled, idx = pool(x, adj)
    k = math.ceil(0.7 * 10)
    assert x_pooled.shape == (2, k, 4) and adj_pooled.shape == (2, k, k)
    score = x @ pool.proj / pool.proj.norm()
    for b in range(2):
        expected = score[b].argsort(descending=True)[:k]
        assert torch.equal(idx[b], expected)
        gate = torch.sigmoid(score[b, expected]).unsqueeze(-1)
        assert torch.allclose(x_pooled[b], x[b, expected] * gate)
        assert torch.equal(adj_pooled[b], adj[b][expected][:, expected])


def test_pool_batch_equals_single_graphs(connectomes):
    adj = connectomes(3, 8, seed=2)
    x = torch.randn(3, 8, 5)
    pool = GraphPool(5, 0.5)
    batched = pool(x, adj)
    for b in range(3):
        single = pool(x[b:b + 1], adj[b:b + 1])
        for got, want in zip(batched, single, strict=True):
            assert torch.allclose(got[b:b + 1], want)


def test_unpool_relocates_rows():
    x = torch.arange(6.).view(1, 3, 2)
    idx = torch.tensor([[4, 0, 2]])
    out = GraphUnpool()(x, idx, num_nodes=5)
    expected = torch.zeros(1, 5, 2)
    expected[0, [4, 0, 2]] = x[0]
    assert torch.equal(out, expected)


def test_pool_unpool_round_trip_keeps_gated_rows(connectomes):
    adj = connectomes(1, 6)
    x = torch.randn(1, 6, 3)
    x_pooled, _, idx = GraphPool(3, 1.0)(x, adj)
    restored = GraphUnpool()(x_pooled, idx, 6)
    assert torch.count_nonzero(restored.abs().sum(-1)) == 6


@pytest.mark.parametrize('ratio', [0., 1.5])
def test_pool_rejects_bad_ratio(ratio):
    with pytest.raises(ValueError, match='ratio'):
        GraphPool(4, ratio)


def test_repr():
    assert repr(GraphPool(16, 0.9)) == 'GraphPool(16, ratio=0.9)'


def test_unbatched_input_matches_a_batch_of_one(connectomes):
    adj = connectomes(1, 9)
    x = torch.randn(1, 9, 4)
    pool = GraphPool(4, 0.6)
    for single, batched in zip(pool(x[0], adj[0]), pool(x, adj), strict=True):
        assert torch.equal(single, batched[0])
    pooled, _, idx = pool(x, adj)
    assert torch.equal(GraphUnpool()(pooled[0], idx[0], 9),
                       GraphUnpool()(pooled, idx, 9)[0])
