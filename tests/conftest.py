import importlib.util
import os.path as osp

import pytest
import torch

EXAMPLES = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'examples')


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


@pytest.fixture
def one_thread():
    """One torch thread for the test (``pytest.mark.usefixtures``): the
    tensors are tiny, and with several threads on a shared 2-core machine the
    threads' synchronisation, not the arithmetic, dominates (100x)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def example_module():
    """Loads ``examples/<name>.py`` as a module (the examples are scripts,
    not an importable package)."""
    def load(name):
        spec = importlib.util.spec_from_file_location(name, osp.join(EXAMPLES, f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load
