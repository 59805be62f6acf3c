"""Model choices on the real fMRI set without its test subjects.

The subjects outside the benchmark's test split (``split_by_subject`` with
``--seed``, as ``accuracy.py --generators fmri``) are split again by subject
``--splits`` times (seeds 100, 101, ...; 20% inner test, 20% validation,
the rest training). Each model is built as ``Model(N_l, N_h, **options)``
(``--options name=value ...``, Python literals) and trained with ``fit``'s
defaults and the validation subjects; ridge regression, trained on inner
training and validation subjects, is the reference. Printed: each split's
test MAE as a multiple of ridge's, and the mean over splits.
"""
import ast
import statistics

import torch
from common import FMRI_FRACTIONS, fmri_windows, format_table, parser, start

from torch_gsr.baselines import RidgeRegression
from torch_gsr.datasets import PairedConnectomes, split_by_subject
from torch_gsr.metrics import mean_absolute_error
from torch_gsr.nn import MODELS
from torch_gsr.train import fit, predict


def inner_splits(ids, seed: int, splits: int):
    r"""``(train, val, test)`` window indices of each inner split of the
    windows ``ids`` outside the benchmark's test subjects."""
    _, val, train = split_by_subject(ids, FMRI_FRACTIONS, seed)
    kept = sorted(val + train)
    for split in range(splits):
        test, val, train = split_by_subject([ids[i] for i in kept], [0.2, 0.2], 100 + split)
        yield tuple([kept[i] for i in part] for part in (train, val, test))


def ratio_to_ridge(name: str, options: dict, lr, hr, parts) -> float:
    train, val, test = parts
    ridge = RidgeRegression().fit(lr[train + val], hr[train + val])
    reference = mean_absolute_error(ridge.predict(lr[test]), hr[test]).mean()
    torch.manual_seed(0)
    model = MODELS[name](lr.size(-1), hr.size(-1), **options)
    fit(model, PairedConnectomes.from_numpy(lr[train], hr[train]), seed=0,
        val_dataset=PairedConnectomes.from_numpy(lr[val], hr[val]), progress=False)
    return float(mean_absolute_error(predict(model, lr[test]), hr[test]).mean() / reference)


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--model', default='NodeMapGSR', choices=list(MODELS))
    args.add_argument('--options', nargs='*', default=[], metavar='NAME=VALUE')
    args.add_argument('--splits', type=int, default=5)
    args = args.parse_args()
    start('fmri_inner', args)
    options = {key: ast.literal_eval(value)
               for key, value in (option.split('=', 1) for option in args.options)}
    lr, hr, ids = fmri_windows()
    ratios = [ratio_to_ridge(args.model, options, lr, hr, parts)
              for parts in inner_splits(ids, args.seed, args.splits)]
    print(format_table(['model', 'options', *[f'split {k}' for k in range(len(ratios))],
                        'mean'],
                       [[args.model, options or '-', *ratios, statistics.mean(ratios)]]))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
