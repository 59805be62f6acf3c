import os

import pytest
import torch

from torch_gsr.plot import plot_mse_bars, plot_subject, plot_training_curves, representative_subject
from torch_gsr.train import History

PNG = b'\x89PNG\r\n\x1a\n'


def _is_png(path):
    with open(path, 'rb') as f:
        return f.read(8) == PNG


def test_plot_subject(tmp_path, connectomes):
    hr = connectomes(1, 14)[0]
    path = str(tmp_path / 'fig2.png')
    plot_subject(path, hr, {'A': hr + 0.1, 'B': hr.flip(0)}, subject='s1')
    assert _is_png(path)
    assert os.listdir(tmp_path) == ['fig2.png']  # no temporary file left


def test_plot_mse_bars(tmp_path):
    path = str(tmp_path / 'bars.png')
    plot_mse_bars(path, {'GSRNet': (0.02, 0.001), 'MeanHR': (0.03, 0.002)})
    assert _is_png(path)


def test_plot_training_curves(tmp_path):
    def history(scale):
        return History(records=[dict(epoch=e, total=scale / e, hr=0.5 / e,
                                     eig=0.1, rec=0., time=0.1)
                                for e in range(1, 4)])
    path = str(tmp_path / 'curves.png')
    plot_training_curves(path, {'GSRNet': [history(1.), history(2.)],
                                'DeepGSR': history(3.)})
    assert _is_png(path)


def test_plot_failure_leaves_no_file(tmp_path):
    path = str(tmp_path / 'bad.png')
    with pytest.raises(ValueError):
        plot_subject(path, torch.zeros(4, 4), {'A': torch.zeros(5, 5)})
    assert os.listdir(tmp_path) == []


def test_representative_subject_is_the_median():
    assert representative_subject(torch.tensor([5., 1., 3., 9., 4.])) == 4
    assert representative_subject(torch.tensor([2., 1.])) == 1
