"""Every model on a CUDA device: tensors stay where the inputs are, and the
numbers are the CPU's. Skipped, with the reason shown, where no CUDA device
is present (as on CI); run on a GPU machine with
``python -m pytest -q -rs tests/test_cuda.py``."""
import pytest
import torch

from torch_gsr.datasets import PairedConnectomes
from torch_gsr.nn import MODELS
from torch_gsr.train import fit, predict

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA device')
LR_NODES, HR_NODES = 12, 20


@pytest.fixture
def dataset(connectomes):
    lr = connectomes(16, LR_NODES)
    hr = connectomes(16, HR_NODES, seed=1)
    return PairedConnectomes.from_numpy(lr.numpy(), hr.numpy())


@pytest.mark.parametrize('name', sorted(MODELS))
def test_forward_on_cuda_is_the_cpu_forward(name, connectomes):
    torch.manual_seed(0)
    model = MODELS[name](LR_NODES, HR_NODES).eval()
    lr_adj = connectomes(3, LR_NODES)
    expected = model(lr_adj).hr_adj
    out = model.cuda()(lr_adj.cuda()).hr_adj
    assert out.device.type == 'cuda'
    assert torch.allclose(out.cpu(), expected, atol=1e-4)


@pytest.mark.parametrize('name', ['GSRNet', 'NodeMapGSR', 'AGSRNet'])
def test_fit_on_cuda_follows_the_cpu_run(name, dataset):
    runs = {}
    for device in ('cpu', 'cuda'):
        torch.manual_seed(0)
        model = MODELS[name](LR_NODES, HR_NODES)
        history = fit(model, dataset, epochs=3, val_fraction=0.25,
                      device=device, progress=False)
        assert next(model.parameters()).device.type == device
        runs[device] = (model, history, predict(model, dataset))
    (_, cpu_history, cpu_pred), (model, history, pred) = runs['cpu'], runs['cuda']
    assert pred.device.type == 'cpu'  # predict hands back CPU tensors
    # The losses agree to rounding; single predicted edges do not: Adam's
    # first updates are close to sign steps of the learning rate, and where
    # a gradient entry is near 0 the devices' rounding can flip its sign
    # (H200 against CPU, GSRNet: losses within 3e-4 relative, edges up to
    # 0.03 apart).
    assert history['hr'] == pytest.approx(cpu_history['hr'], rel=1e-3)
    assert (pred - cpu_pred).abs().mean() < 1e-2  # measured 1.8e-3, 2.4e-3
    if history.ridge_weight is not None:
        assert history.ridge_weight == pytest.approx(cpu_history.ridge_weight,
                                                     abs=1e-3)
    graphs = model.predict_graphs(dataset[0].to('cuda'))
    assert graphs.edge_index.device.type == 'cuda'
