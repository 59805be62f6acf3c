r"""Figures that stand alone: labelled axes, integer epochs, folds named as
folds, subject ids and model names from the checkpoint."""
import torch
from matplotlib.ticker import MaxNLocator

from torch_gsr.datasets import PairedConnectomes
from torch_gsr.experiments import build_figure_data, checkpoint_figure_data, plot_figures
from torch_gsr.nn.models import GSRLayerOnly
from torch_gsr.plot import plot_mse_bars, plot_training_curves
from torch_gsr.train import History, fit

LR_NODES, HR_NODES, SUBJECTS = 8, 14, 6


def history(epochs=3):
    return History(records=[dict(epoch=e, total=1. / e, hr=0.5 / e, eig=0.1,
                                 rec=0., time=0.1) for e in range(1, epochs + 1)])


def test_training_curves_name_folds_label_axes_and_count_epochs(tmp_path):
    fig = plot_training_curves(str(tmp_path / 'curves.png'),
                               {'GSRNet': [history(), history()],
                                'DeepGSR': [history(), history()]})
    assert (tmp_path / 'curves.png').stat().st_size > 0
    for ax in fig.axes:
        assert ax.get_xlabel() == 'epoch'
        assert 'loss' in ax.get_ylabel()
        locator = ax.xaxis.get_major_locator()
        assert isinstance(locator, MaxNLocator) and locator._integer
        assert all(float(t).is_integer() for t in ax.get_xticks())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ['GSRNet (2 folds)', 'DeepGSR (2 folds)']
    assert 'one line per fold' in fig._suptitle.get_text()


def test_mse_bars_say_what_the_spread_is_over(tmp_path):
    fig = plot_mse_bars(str(tmp_path / 'bars.png'), {'A': (0.1, 0.01)},
                        spread='subjects')
    assert fig.axes[0].get_ylabel() == 'MSE (mean ± std over subjects)'
    assert fig.axes[0].get_xlabel() == 'method'


def test_cv_figure_data_names_the_subject_and_its_fold(connectomes):
    hr = connectomes(4, HR_NODES)
    data = build_figure_data(hr, {'A': hr + 0.1 * torch.arange(4.).view(4, 1, 1)},
                             [[0, 1], [2, 3]], {'A': [history(), history()]},
                             ['s0', 's1', 's2', 's3'])
    assert data['subject'] == 's1'  # the median-MSE subject, by id
    assert data['subject_detail'] == 'test fold 1 of 2, median MSE of A'
    assert data['spread'] == 'folds' and data['run_name'] == 'fold'


def test_checkpoint_figures_use_the_model_name_and_subject_ids(tmp_path, connectomes):
    lr, hr = connectomes(SUBJECTS, LR_NODES, seed=1), connectomes(SUBJECTS, HR_NODES, seed=2)
    dataset = PairedConnectomes.from_numpy(lr, hr, subjects=[f'sub-{i}' for i in range(SUBJECTS)])
    paths = [str(tmp_path / 'first run.pt'), str(tmp_path / 'second.pt')]
    for path in paths:
        fit(GSRLayerOnly(LR_NODES, HR_NODES), dataset, epochs=1, checkpoint=path,
            progress=False)
    data = checkpoint_figure_data(paths[:1], dataset)
    assert list(data['predictions']) == ['GSRLayerOnly']
    assert data['subject'].startswith('sub-')
    assert data['spread'] == 'subjects' and data['run_name'] == 'checkpoint'
    both = checkpoint_figure_data(paths, dataset)
    assert list(both['predictions']) == ['GSRLayerOnly (first run.pt)',
                                         'GSRLayerOnly (second.pt)']
    written = plot_figures(data, str(tmp_path / 'figs'))
    assert all((tmp_path / 'figs' / name).stat().st_size > 0
               for name in ('fig2_subject.png', 'mse_bars.png',
                            'training_curves.png'))
    assert len(written) == 3
