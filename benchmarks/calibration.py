"""How the interval calibration was chosen: pooled quantile against the
subject-level bound, per data set and data seed.

On data seeds other than the benchmark's (default ``--seeds 1 2 3``), the
default EnsembleGSR is trained with ``fit``'s defaults (real fMRI: the
subject split of ``intervals.py`` for each seed) and its intervals are
calibrated on the validation subjects with each ``--confidence`` of
``ConformalIntervals`` (0.5: the pooled split conformal quantile). Printed
per data set, seed and confidence: the numbers of calibration and test
subjects, the coverage and mean width of ``--coverage`` intervals on the
test subjects, and the lowest and highest single test subject's coverage;
then, per confidence, how many coverages fall outside ``--band``.
"""
import time

import torch
from common import coverage_width, data_split, parser, start

from torch_gsr.metrics import interval_coverage
from torch_gsr.nn import EnsembleGSR
from torch_gsr.train import fit


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--data', nargs='+', default=['synthetic', 'smooth_fields', 'wiring'])
    args.add_argument('--sizes', nargs='+', type=int, default=[50])
    args.add_argument('--seeds', nargs='+', type=int, default=[1, 2, 3])
    args.add_argument('--confidence', nargs='+', type=float, default=[0.5, 0.9])
    args.add_argument('--coverage', type=float, default=0.9)
    args.add_argument('--band', nargs=2, type=float, default=[0.88, 0.95])
    args = args.parse_args()
    start('calibration', args)
    outside = dict.fromkeys(args.confidence, 0)
    for name in args.data:
        for size in ([None] if name == 'fmri' else args.sizes):
            for seed in args.seeds:
                began = time.perf_counter()
                train, val, test = data_split(name, size, seed)
                torch.manual_seed(0)
                model = EnsembleGSR(train[0].size(-1), train[1].size(-1))
                history = fit(model, train, val_dataset=val, seed=0, progress=False)
                for confidence in args.confidence:
                    # Recalibrated on fit's validation samples (after_fit's predictions).
                    model.interval_confidence = confidence
                    lower, upper = model.predict_intervals(test[0], args.coverage)
                    covered, width = coverage_width(lower, upper, test[1])
                    each = interval_coverage(lower, upper, test[1])
                    outside[confidence] += not args.band[0] <= covered <= args.band[1]
                    print(f'{name} {size or ""} seed {seed} confidence {confidence}: '
                          f'{history.val_subjects} calibration and {len(test[0])} test '
                          f'subjects, coverage {covered:.3f}, width {width:.4f}, single '
                          f'subjects {float(each.min()):.3f}-{float(each.max()):.3f} '
                          f'({time.perf_counter() - began:.0f} s)', flush=True)
    for confidence, count in outside.items():
        print(f'confidence {confidence}: {count} coverages outside {args.band}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
