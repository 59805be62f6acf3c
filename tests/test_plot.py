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


def test_training_curves_show_validation_and_only_the_terms_a_model_has(tmp_path):
    def history(validated):
        records = []
        for e in range(1, 5):
            record = dict(epoch=e, total=1. / e, hr=1. / e, eig=0., rec=0., time=0.1)
            if validated:
                record.update(val_total=2. / e, val_hr=2. / e, val_eig=0., val_rec=0.)
            records.append(record)
        return History(records=records)
    gsr = History(records=[dict(epoch=e, total=1., hr=0.5, eig=0.2, rec=0.,
                                time=0.1) for e in (1, 2)])
    fig = plot_training_curves(str(tmp_path / 'curves.png'),
                               {'NodeMapGSR': history(True), 'GSRNet': gsr})
    # rec is zero for both: no panel; eig only for GSRNet: no NodeMapGSR line
    assert [ax.get_title() for ax in fig.axes] == ['total loss', 'hr loss', 'eig loss']
    total, _, eig = fig.axes
    dashed = [line for line in total.get_lines() if line.get_linestyle() == '--']
    assert len(dashed) == 1 and list(dashed[0].get_ydata()) == [2., 1., 2 / 3, 0.5]
    assert len(eig.get_lines()) == 1
    assert 'validation (dashed)' in fig._suptitle.get_text()
    only_training = plot_training_curves(str(tmp_path / 'plain.png'), {'GSRNet': gsr})
    assert 'validation' not in only_training._suptitle.get_text()
