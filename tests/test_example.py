import csv
import re

from torch_gsr.train import load_checkpoint


def test_quick_example_writes_tables_weights_and_figures(tmp_path, capsys, example_module):
    example = example_module('slim_superres')
    out = tmp_path / 'run'
    assert example.main(['--quick', '--subjects', '12', '--lr-nodes', '8',
                         '--hr-nodes', '14', '--folds', '2', '--epochs', '1',
                         '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert 'estimated time' in printed
    assert 'GSRNet vs the mean-HR baseline' in printed
    intervals = re.search(r'90% prediction intervals of EnsembleGSR\(8, 14, '
                          r'\[NodeMapGSR, RidgeMap, LocalRidgeMap\]\): ([\d.]+)% of the '
                          r'true edges of 1 held-out subjects inside, mean width ([\d.]+)',
                          printed)
    assert intervals is not None, printed
    assert 0 <= float(intervals[1]) <= 100 and float(intervals[2]) > 0

    models = ['GSRNet', 'NodeMapGSR']  # the default; --models picks others
    with open(out / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    assert [row['method'] for row in rows] == models + ['MeanHR', 'RidgeRegression']
    assert {'mse_mean', 'mse_std', 'mae_mean', 'pcc_mean', 'jsd_std',
            'residual_pcc_mean'} <= set(rows[0])
    assert float(rows[2]['residual_pcc_mean']) == 0  # MeanHR carries none
    assert '| RidgeRegression |' in (out / 'results.md').read_text()
    for name in models:
        model, checkpoint = load_checkpoint(str(out / f'{name}.pt'))
        assert (model.lr_nodes, model.hr_nodes) == (8, 14)
        assert checkpoint['epoch'] == 1  # --epochs overrides quick's 2
    for name in ('fig2_subject.png', 'mse_bars.png', 'training_curves.png',
                 'intervals.png'):
        assert (out / name).stat().st_size > 1000


def test_example_models_flag(tmp_path, example_module):
    example = example_module('slim_superres')
    out = tmp_path / 'run'
    assert example.main(['--quick', '--subjects', '8', '--lr-nodes', '6',
                         '--hr-nodes', '10', '--folds', '2', '--epochs', '1',
                         '--models', 'GSRLayerOnly', 'DeepGSR',
                         '--out', str(out)]) == 0
    with open(out / 'results.csv') as f:
        methods = [row['method'] for row in csv.DictReader(f)]
    assert methods == ['GSRLayerOnly', 'DeepGSR', 'MeanHR', 'RidgeRegression']


def test_estimate_spans_what_early_stopping_allows(connectomes):
    from torch_gsr.datasets import PairedConnectomes
    from torch_gsr.experiments import estimate_cv_seconds, model_factories
    from torch_gsr.train import ConnectomeTensors

    data = ConnectomeTensors.from_data(PairedConnectomes.from_numpy(
        connectomes(20, 6, seed=1).numpy(), connectomes(20, 10, seed=2).numpy()))
    factories = model_factories(['GSRLayerOnly'], 6, 10)
    shortest, longest = estimate_cv_seconds(factories, data, folds=2)
    assert 0 < shortest < longest  # early stopping may end a fold at half its epochs
    factories = model_factories(['GSRLayerOnly'], 6, 10, preset='paper')
    shortest, longest = estimate_cv_seconds(factories, data, folds=2, preset='paper',
                                            epochs=4)
    assert 0 < shortest == longest  # no validation, no early stopping


def test_timed_epochs_are_not_cut_by_early_stopping(connectomes, monkeypatch):
    # Early stopping cut the timing runs short of the second they asked for,
    # and the estimate asked again and again (minutes before the first fold).
    import torch_gsr.experiments as experiments
    from torch_gsr.train import ConnectomeTensors
    runs = []

    def counting(model, data, **options):
        history = fit(model, data, **options)
        runs.append((options['epochs'], len(history)))
        return history

    from torch_gsr.train import fit
    monkeypatch.setattr(experiments, 'fit', counting)
    data = ConnectomeTensors.from_data((connectomes(12, 6, seed=1), connectomes(12, 10, seed=2)))
    factory = experiments.model_factories(['NodeMapGSR'], 6, 10)['NodeMapGSR']
    experiments._timed_fit(factory, data, dict(patience=1, val_fraction=0.25))
    assert all(asked == ran for asked, ran in runs) and len(runs) <= 3
