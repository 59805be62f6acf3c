"""Accuracy with every default, on data the defaults were and were not tuned on.

For each generator (``synthetic``: SyntheticConnectomes, on which the
defaults were chosen; ``smooth_fields`` and ``wiring``: held out, though
their failures were diagnosed on other data seeds; ``dynamics``: held out
and never used for any decision) and data set size, the first 80% of
subjects train and the rest test. Every model is built as
``Model(N_l, N_h)`` after ``torch.manual_seed(0)`` and trained with
``fit(model, PairedConnectomes.from_numpy(lr_train, hr_train), seed=0)``
(every option default, on ``--device``); the baselines use their defaults
too (on the CPU). Printed per row: test MAE, PCC, residual PCC (against the
training-mean HR), MAE as a multiple of the mean-HR baseline's and of
ridge's, epochs run / planned, best epoch, the ridge part's weight
(``ridge w``, models with a :class:`~torch_gsr.nn.RidgeBlend`) and training
wall time. Rows are also appended as JSON lines to ``--out`` as they finish
(a killed run keeps what it measured).

``fmri`` (real resting-state fMRI windows,
:class:`~torch_gsr.datasets.FMRIWindowConnectomes`; needs ``pip install
'torch_gsr[real]'``; one size, its 66 windows of 12 subjects) splits whole
subjects (:func:`~torch_gsr.datasets.split_by_subject`, seed ``--seed``):
25% test, 15% validation, passed to every ``fit`` as ``val_dataset`` (the
baselines train on training and validation subjects). Models with
prediction intervals (:class:`~torch_gsr.nn.EnsembleGSR`) add the
coverage and mean width of their 90% intervals on the test subjects.

The simulated sets of the STP-GSR and DEFEND/Bi-SR releases
(:data:`~torch_gsr.datasets.RELEASE_GRAPHS`: ``stp_sbm``, ..., ``defend_physics``;
docs/datasets.md) are selectable with ``--generators`` (not in the default
list), drawn with ``seed=--seed`` and cleaned as ``fit`` cleans its data.

``--curve GENERATOR`` adds test MAE against training wall-clock time for
GSRNet with the recommended and the paper preset (the paper run is cut at
``--curve-seconds``), saved as a figure.

--quick: GSRNet, NodeMapGSR, EnsembleGSR and the baselines.
Full (default): every model in MODELS. Sizes 50, 100 and 250 subjects.
"""
import functools
import json
import sys
import time

import torch
from common import (
    GENERATORS,
    RELEASE_SETS,
    coverage_width,
    data_split,
    format_table,
    parser,
    start,
    synchronize,
)
from matplotlib.figure import Figure

from torch_gsr.baselines import MeanHR, RidgeRegression
from torch_gsr.datasets import (
    PairedConnectomes,
)
from torch_gsr.metrics import evaluate_predictions
from torch_gsr.nn import MODELS
from torch_gsr.train import fit, predict

BASELINES = {'MeanHR': MeanHR, 'RidgeRegression': RidgeRegression}
DATA_SETS = [*GENERATORS, 'fmri', *RELEASE_SETS]
COVERAGE = 0.9
QUICK = dict(models=['GSRNet', 'NodeMapGSR', 'EnsembleGSR'], sizes=[50, 100, 250])
FULL = dict(models=list(MODELS), sizes=[50, 100, 250])
HEADERS = ['generator', 'S', 'method', 'MAE', 'PCC', 'res. PCC', 'MAE/mean',
           'MAE/ridge', 'epochs', 'best', 'ridge w', 'cover.', 'width', 'seconds']


def with_validation(train, val):
    r"""The training pairs with the validation pairs appended (baselines)."""
    if val is None:
        return train
    return torch.cat([train[0], val[0]]), torch.cat([train[1], val[1]])


def intervals(model, test_data, hr_adj) -> dict:
    r"""Coverage and mean width of ``model``'s intervals on ``test_data``
    against ``hr_adj``."""
    _, lower, upper = predict(model, test_data, intervals=COVERAGE)
    coverage, width = coverage_width(lower, upper, hr_adj)
    return dict(coverage=coverage, width=width)


def scores(pred, test, train_mean_hr) -> dict:
    evaluation = evaluate_predictions(pred, test[1], reference=train_mean_hr)
    return {m: evaluation.summary[m][0] for m in ('mae', 'pcc', 'residual_pcc')}


def run_baseline(name: str, train, test) -> dict:
    began = time.perf_counter()
    baseline = BASELINES[name]().fit(*train)
    seconds = time.perf_counter() - began
    return dict(scores(baseline.predict(test[0]), test, train[1].double().mean(0)),
                seconds=seconds)


def run_model(name: str, train, test, device: torch.device, val=None) -> dict:
    torch.manual_seed(0)
    model = MODELS[name](train[0].size(-1), train[1].size(-1))
    began = time.perf_counter()
    history = fit(model, PairedConnectomes.from_numpy(*train), seed=0,
                  val_dataset=None if val is None else PairedConnectomes.from_numpy(*val),
                  progress=False, device=device)
    synchronize(device)
    seconds = time.perf_counter() - began
    # The test connectomes are cleaned as the training ones were (the wiring
    # simulator's zero diagonal becomes 1); the upper triangle scored is not.
    test_data = PairedConnectomes.from_numpy(*test)
    row = dict(scores(predict(model, test_data), test, train[1].double().mean(0)),
               seconds=seconds, epochs=len(history),
               planned_epochs=history.planned_epochs,
               best_epoch=history.best_epoch, ridge_weight=history.ridge_weight,
               after_fit=history.after_fit)
    if model.gives_intervals:
        row.update(intervals(model.cpu(), test_data, test[1]))
    return row


def table_row(row: dict, reference: dict) -> list:
    epochs = (f"{row['epochs']}/{row['planned_epochs']}" if 'epochs' in row
              else '-')
    return [row['generator'], row['subjects'], row['method'], row['mae'],
            row['pcc'], row['residual_pcc'],
            *(row['mae'] / reference.get(name, float('nan')) for name in BASELINES),
            epochs, row.get('best_epoch') or '-',
            '-' if row.get('ridge_weight') is None else row['ridge_weight'],
            row.get('coverage', '-'), row.get('width', '-'), row['seconds']]


def accuracy_table(args) -> list:
    rows = []
    for size in args.sizes:
        for generator in args.generators:
            if generator == 'fmri' and size != args.sizes[0]:
                continue  # one size: all its windows
            train, val, test = data_split(generator, size, args.seed)
            subjects = sum(len(part[0]) for part in (train, val, test) if part is not None)
            mae = {}
            methods = [(n, functools.partial(run_baseline, train=with_validation(train, val)))
                       for n in BASELINES] + \
                      [(n, functools.partial(run_model, train=train, val=val,
                                             device=args.device))
                       for n in args.models]
            for name, run in methods:
                row = dict(generator=generator, subjects=subjects, method=name,
                           test_subjects=len(test[0]), **run(name, test=test))
                mae[name] = row['mae']
                rows.append(row)
                with open(args.out, 'a') as f:
                    f.write(json.dumps(row) + '\n')
                print(format_table(HEADERS, [table_row(row, mae)]).splitlines()[-1],
                      flush=True)
    return rows


class _TimeUp(Exception):
    pass


def curve(generator: str, size: int, preset: str, seconds: float, seed: int,
          device: torch.device):
    r"""``[(training seconds, test MAE)]`` after every epoch of GSRNet under
    ``preset`` (evaluation time excluded), cut after ``seconds``."""
    train, _, test = data_split(generator, size, seed)
    test_data = PairedConnectomes.from_numpy(*test)
    torch.manual_seed(0)
    model = MODELS['GSRNet'](train[0].size(-1), train[1].size(-1), preset=preset)
    points, clock = [], dict(spent=0., since=time.perf_counter())

    def after_epoch(_line: str) -> None:
        synchronize(device)
        clock['spent'] += time.perf_counter() - clock['since']
        mae = float(evaluate_predictions(predict(model, test_data), test[1])
                    .summary['mae'][0])
        points.append((clock['spent'], mae))
        print(f'  {preset}: {clock["spent"]:.0f} s, test MAE {mae:.4f}', flush=True)
        if clock['spent'] > seconds:
            raise _TimeUp
        clock['since'] = time.perf_counter()

    try:
        fit(model, PairedConnectomes.from_numpy(*train), seed=0, preset=preset,
            progress=after_epoch, device=device)
    except _TimeUp:
        pass
    return points


def save_curve(points: dict, baselines: dict, path: str, title: str) -> None:
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    for preset, values in points.items():
        axes.plot(*zip(*values, strict=True), marker='.', label=f'GSRNet, {preset}')
    for name, mae in baselines.items():
        axes.axhline(mae, linestyle='--', color='grey' if name == 'MeanHR'
                     else 'black', label=name)
    axes.set(xlabel='training wall-clock time (s)', ylabel='test MAE',
             title=title)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--quick', action='store_true')
    args.add_argument('--models', nargs='+', choices=list(MODELS))
    args.add_argument('--sizes', nargs='+', type=int)
    args.add_argument('--generators', nargs='+', choices=DATA_SETS,
                      default=list(GENERATORS))
    args.add_argument('--out', default='accuracy.jsonl',
                      help='JSON lines, appended (default: accuracy.jsonl)')
    args.add_argument('--curve', choices=list(GENERATORS),
                      help='also the accuracy-vs-time curve on this generator')
    args.add_argument('--curve-size', type=int, default=100)
    args.add_argument('--curve-seconds', type=float, default=300.)
    args.add_argument('--curve-figure', default='accuracy_vs_time.png')
    args.add_argument('--no-table', action='store_true',
                      help='only the curve')
    args = args.parse_args()
    defaults = QUICK if args.quick else FULL
    args.models = args.models or defaults['models']
    args.sizes = args.sizes or defaults['sizes']
    args.device = start('accuracy', args)
    print(format_table(HEADERS, []), flush=True)  # header of the rows below
    if not args.no_table:
        accuracy_table(args)
    if args.curve:
        train, _, test = data_split(args.curve, args.curve_size, args.seed)
        baselines = {n: run_baseline(n, train, test)['mae'] for n in BASELINES}
        points = {preset: curve(args.curve, args.curve_size, preset,
                                args.curve_seconds, args.seed, args.device)
                  for preset in ('recommended', 'paper')}
        with open(args.out, 'a') as f:
            f.write(json.dumps(dict(curve=args.curve, points=points,
                                    baselines=baselines)) + '\n')
        save_curve(points, baselines, args.curve_figure,
                   f'{args.curve}, {args.curve_size} subjects (80% train)')
        print(f'figure: {args.curve_figure}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
