r"""Same settings, same numbers: the API and ``torch-gsr train`` agree when
the model is built under the same seed (see docs/robustness.md)."""
import torch

from torch_gsr.datasets import SyntheticConnectomes
from torch_gsr.experiments import train_model
from torch_gsr.nn.models import GSRNet
from torch_gsr.train import fit
from torch_gsr.transforms import AddSpectra

SIZES = dict(num_subjects=16, lr_nodes=10, hr_nodes=17, seed=0)
OPTIONS = dict(seed=0, epochs=2, progress=False)


def test_api_with_a_seeded_model_equals_the_cli_training():
    _, cli = train_model(SyntheticConnectomes(**SIZES), 'GSRNet', **OPTIONS)
    # The README's API example, with torch seeded before the model is built
    # (as train_model does); AddSpectra's per-subject spectra change nothing.
    dataset = SyntheticConnectomes(**SIZES, pre_transform=AddSpectra())
    torch.manual_seed(0)
    api = fit(GSRNet(10, 17), dataset, **OPTIONS)
    assert api['total'] == cli['total']

    # Unseeded, the initial weights come from whatever state torch's global
    # generator is in: another starting point, other losses.
    torch.manual_seed(1)
    other = fit(GSRNet(10, 17), dataset, **OPTIONS)
    assert other['total'] != cli['total']
