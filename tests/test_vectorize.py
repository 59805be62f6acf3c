import numpy as np
import pytest
import torch

from torch_gsr.utils.vectorize import nodes_from_edges, num_edges, unvectorize, vectorize


@pytest.mark.parametrize('order, index', [('tril', np.tril_indices), ('triu', np.triu_indices)])
def test_orders_match_numpy_on_nonsymmetric_matrix(order, index):
    adj = np.arange(36.).reshape(6, 6)
    k = -1 if order == 'tril' else 1
    expected = adj[index(6, k)]
    assert np.array_equal(vectorize(torch.from_numpy(adj), order).numpy(), expected)


def test_challenge_order_walks_upper_triangle_column_by_column():
    adj = torch.rand(5, 5)
    adj = adj + adj.T
    columnwise = [adj[i, j] for j in range(5) for i in range(j)]
    assert torch.equal(vectorize(adj), torch.stack(columnwise))


@pytest.mark.parametrize('order', ['tril', 'triu'])
def test_round_trip_batched(order):
    adj = torch.rand(3, 7, 7)
    adj = adj + adj.mT
    adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    assert torch.equal(unvectorize(vectorize(adj, order), order, diagonal=1.), adj)


def test_node_count_inference_and_errors():
    assert nodes_from_edges(12720) == 160 and nodes_from_edges(35778) == 268
    assert num_edges(268) == 35778
    with pytest.raises(ValueError, match=r'12721.*N = 160 would give 12720'):
        nodes_from_edges(12721)
    with pytest.raises(ValueError, match='order'):
        vectorize(torch.rand(3, 3), 'rows')
