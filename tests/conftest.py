import pytest
import torch


def random_connectomes(num_subjects, num_nodes, seed=0, dtype=torch.float32):
    """Symmetric |correlation|-like matrices with a unit diagonal."""
    gen = torch.Generator().manual_seed(seed)
    adj = torch.rand(num_subjects, num_nodes, num_nodes, generator=gen,
                     dtype=dtype)
    adj = (adj + adj.transpose(-1, -2)) / 2
    adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return adj


@pytest.fixture
def connectomes():
    return random_connectomes
