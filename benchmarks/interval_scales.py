"""How the interval scale was chosen: every scale of a small EnsembleGSR.

On data seeds other than the benchmark's (default ``--seed 1``), a
NodeMapGSR + ridge ensemble trained with ``fit``'s defaults is calibrated
with each interval scale on ``fit``'s validation subjects; printed per
scale: test MAE, coverage and mean width of ``--coverage`` intervals, the
coverage on the 10% of edges with the largest and the smallest training
standard deviation, and the share of edges whose coverage over the test
subjects is under 0.8 (how even the coverage is across edges).
"""
import time

import torch
from common import coverage_width, data_split, parser, start
from intervals import mae

from torch_gsr.nn import EnsembleGSR
from torch_gsr.nn.models.ensemble import INTERVAL_SCALES
from torch_gsr.train import fit, predict


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--data', nargs='+', default=['synthetic', 'smooth_fields', 'wiring'])
    args.add_argument('--size', type=int, default=50)
    args.add_argument('--coverage', type=float, default=0.9)
    args = args.parse_args()
    args.seed = args.seed or 1
    start('interval_scales', args)
    for name in args.data:
        train, _, test = data_split(name, args.size, args.seed)
        torch.manual_seed(0)
        began = time.perf_counter()
        model = EnsembleGSR(train[0].size(-1), train[1].size(-1), members=('NodeMapGSR',))
        fit(model, train, seed=0, progress=False)
        upper_triangle = torch.triu_indices(train[1].size(-1), train[1].size(-1), 1)
        std = model.edge_std[upper_triangle[0], upper_triangle[1]]
        top, bottom = std >= std.quantile(0.9), std <= std.quantile(0.1)
        for scale in INTERVAL_SCALES:
            # Recalibrated on fit's validation samples (after_fit's predictions).
            model.interval_scale = scale
            lower, upper = model.predict_intervals(test[0], args.coverage)
            inside = ((test[1] >= lower) & (test[1] <= upper))[
                :, upper_triangle[0], upper_triangle[1]].double().mean(0)
            covered, width = coverage_width(lower, upper, test[1])
            print(f'{name} {scale}: MAE {mae(predict(model, test[0]), test[1]):.5f}, '
                  f'coverage {covered:.3f}, width {width:.4f}, top-decile edges '
                  f'{float(inside[top].mean()):.3f}, bottom-decile edges '
                  f'{float(inside[bottom].mean()):.3f}, edges under 0.8 '
                  f'{float((inside < 0.8).double().mean()):.3f} '
                  f'({time.perf_counter() - began:.0f} s)', flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
