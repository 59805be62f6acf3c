r"""GSR-Net's protocol (Isallari & Rekik, MICCAI 2020) on SLIM-like data.

5-fold cross-validation of GSRNet and NodeMapGSR (--models picks any of
torch_gsr.nn.MODELS) and of the mean-HR and ridge baselines on identical
folds, 160 -> 268 nodes. Prints the results table (MSE, MAE, PCC, JSD,
residual PCC) and writes to --out: results.csv and results.md, the checkpoint
of each model trained in the last fold (<Model>.pt), fig2_subject.png (the
paper's Fig. 2), mse_bars.png, training_curves.png and figure_data.pt (what
'torch-gsr plot --from DIR' redraws them from). Then per-edge 90% prediction
intervals: an EnsembleGSR of NodeMapGSR, ridge and local ridge regression
trained on 90% of the subjects, its coverage and mean width on the other 10%
printed and one held-out subject's intervals drawn (intervals.png).

Data: without a path, the embedded SyntheticConnectomes(277, 160, 268,
seed=0); otherwise one SLIM folder, or an LR and an HR file (.npy/.npz or
challenge .csv/.mat). --paper trains with the paper's settings (200 epochs at
batch 1: hours); --quick is a smoke test (40 subjects of 40 -> 67 nodes, 2
epochs, 3 folds). Interrupted, the same command continues where it stopped.
The same run from the command line: torch-gsr cv --out runs/slim_superres.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

import torch

from torch_gsr.datasets import load_dataset
from torch_gsr.experiments import DEFAULT_MODELS, run_cross_validation, summary_lines
from torch_gsr.interval_plot import plot_intervals
from torch_gsr.metrics import interval_coverage, interval_width
from torch_gsr.nn import MODELS, EnsembleGSR
from torch_gsr.train import ConnectomeTensors, fit, predict

QUICK = dict(subjects=40, lr_nodes=40, hr_nodes=67, epochs=2, folds=3)
COVERAGE = 0.9


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data', nargs='*', metavar='PATH',
                        help="a SLIM folder, or LR and HR files (default: the "
                             "embedded synthetic data)")
    parser.add_argument('--out', default='runs/slim_superres', metavar='DIR')
    parser.add_argument('--models', nargs='+', default=list(DEFAULT_MODELS),
                        choices=list(MODELS), metavar='MODEL')
    parser.add_argument('--folds', type=int, default=5)
    parser.add_argument('--paper', action='store_true',
                        help="the paper's settings (preset 'paper')")
    parser.add_argument('--quick', action='store_true', help="a smoke test")
    parser.add_argument('--epochs', type=int, help="default: the preset's")
    parser.add_argument('--subjects', type=int, default=277, help="synthetic data")
    parser.add_argument('--lr-nodes', type=int, default=160, help="synthetic data")
    parser.add_argument('--hr-nodes', type=int, default=268, help="synthetic data")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--quiet', action='store_true', help="print the table only")
    args = parser.parse_args(argv)
    if args.quick:  # quick's values, unless given explicitly
        parser.set_defaults(**QUICK)
        args = parser.parse_args(argv)
    if len(args.data) > 2:
        parser.error(f"expected at most 2 paths (LR and HR), got {len(args.data)}")
    lr_path, hr_path = (list(args.data) + [None, None])[:2]

    # 1. The data: paired LR and HR connectomes.
    dataset = load_dataset(lr_path, hr_path, num_subjects=args.subjects,
                           lr_nodes=args.lr_nodes, hr_nodes=args.hr_nodes,
                           seed=args.seed, progress=not args.quiet)
    if args.quick and args.data:
        dataset = dataset[:QUICK['subjects']]

    # 2. Cross-validate the models and the baselines on identical folds, and
    #    write tables, checkpoints and figures to --out (resumable).
    result = run_cross_validation(
        dataset, args.models, args.out, folds=args.folds, seed=args.seed,
        progress=not args.quiet, preset='paper' if args.paper else 'recommended',
        epochs=args.epochs, device=args.device)

    # 3. The table, and whether each model beats the mean-HR baseline.
    print('\n'.join(summary_lines(result, osp.join(args.out, 'results.md'))))

    # 4. Per-edge prediction intervals: an ensemble of NodeMapGSR, ridge and
    #    local ridge regression trained on 90% of the subjects (fit's validation subjects
    #    choose its weights and calibrate its intervals), scored on the other
    #    10%, which it never saw.
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))
    held_out = max(1, len(dataset) // 10)
    test = ConnectomeTensors.from_data(dataset[order[:held_out]])
    ensemble = EnsembleGSR(test.lr_adj.size(-1), test.hr_adj.size(-1), members=['NodeMapGSR'])
    fit(ensemble, dataset[order[held_out:]], epochs=args.epochs, seed=args.seed,
        preset='paper' if args.paper else 'recommended', device=args.device,
        progress=not args.quiet)
    hr_pred, lower, upper = predict(ensemble, test, intervals=COVERAGE)
    coverage = float(interval_coverage(lower, upper, test.hr_adj).mean())
    width = float(interval_width(lower, upper).mean())
    plot_intervals(osp.join(args.out, 'intervals.png'), hr_pred[0], lower[0], upper[0],
                   test.hr_adj[0], subject=test.subjects[0], coverage=COVERAGE)
    print(f"{COVERAGE:.0%} prediction intervals of {ensemble}: {coverage:.1%} of "
          f"the true edges of {held_out} held-out subjects inside, mean width {width:.4f}")
    print(f"results, checkpoints and figures written to {args.out}")
    return 0


if __name__ == '__main__':
    main()
