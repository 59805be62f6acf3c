r"""GSR-Net's protocol (Isallari & Rekik, MICCAI 2020) on SLIM-like data.

5-fold cross-validation of GSRNet and NodeMapGSR (by default; --models picks
any of the package's models, e.g. the paper's variants GSRLayerOnly, DeepGSR
and GSRAutoencoder) and of the mean-HR and ridge baselines on identical
folds, 160 -> 268 nodes (the models pad the HR graph internally). Tables
report MSE, MAE, PCC, JSD and the residual PCC (prediction and truth minus
each fold's training-mean HR, correlated per subject: the subject-specific
signal a prediction carries). Writes to --out:

  results.csv, results.md   every metric, every method, mean and std over folds
  <Model>.pt                the checkpoint of each model trained in the LAST
                            fold (load with torch_gsr.train.load_checkpoint)
  fig2_subject.png          the paper's Fig. 2 for a representative test subject
  mse_bars.png              MSE per method, mean and std over folds
  training_curves.png       every loss term per epoch, per method and fold
  figure_data.pt            what 'torch-gsr plot --from DIR' redraws them from

Data: no path uses the embedded SyntheticConnectomes(277, 160, 268, seed);
otherwise one SLIM folder, or an LR and an HR file (.npy/.npz pair or
challenge .csv/.mat pair). Training uses the preset's schedule
('recommended' by default: an update budget with a validation hold-out and
early stopping, the default models sized to finish in under 10 minutes on 2
CPU cores; --paper: the paper's 200 epochs with batch 1).

--quick is a smoke test for CI: the first 40 subjects, 2 epochs, 3 folds
(instead of 5), and embedded data shrunk to 40 -> 67 nodes.

Interrupted (Ctrl-C, a killed job), the same command continues where it
stopped: --out/checkpoints keeps every finished (model, fold) and the last
epoch of the one in progress, and the finished run's tables equal an
uninterrupted run's. Progress goes to stderr (--quiet: none).
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from torch_gsr.cli import (
    add_data_options,
    add_models_option,
    add_output_options,
    add_runtime_options,
    add_training_options,
    dataset_from_args,
    fit_options,
    run_reporting_errors,
)
from torch_gsr.experiments import run_cross_validation, summary_lines

QUICK = dict(subjects=40, lr_nodes=40, hr_nodes=67, epochs=2, folds=3)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python examples/slim_superres.py                 # embedded data\n"
               "  python examples/slim_superres.py --quick         # CI smoke test\n"
               "  python examples/slim_superres.py --models GSRNet DeepGSR\n"
               "  python examples/slim_superres.py /data/SLIM --paper\n"
               "  python examples/slim_superres.py lr.csv hr.csv --out runs/challenge")
    parser.add_argument('data', nargs='*', metavar='PATH',
                        help="a SLIM folder, or LR and HR files (default: the "
                             "embedded synthetic data)")
    parser.add_argument('--out', default='runs/slim_superres', metavar='DIR',
                        help="output folder (default: runs/slim_superres)")
    parser.add_argument('--folds', type=int, default=5,
                        help="number of folds (default: 5)")
    add_models_option(parser)
    parser.add_argument('--quick', action='store_true',
                        help="smoke test: 40 subjects, 2 epochs, 3 folds, "
                             "small embedded data")
    parser.add_argument('--paper', action='store_true',
                        help="the paper's settings: preset 'paper' (200 "
                             "epochs, batch 1, lr 1e-4)")
    add_data_options(parser, paths=False)
    add_runtime_options(parser)
    add_training_options(parser)
    add_output_options(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:  # quick's values, unless given explicitly
        parser.set_defaults(**QUICK)
        args = parser.parse_args(argv)
    if args.paper:
        args.preset = 'paper'
    if len(args.data) > 2:
        parser.error(f"expected at most 2 paths (LR and HR), got {len(args.data)}")
    paths = list(args.data) + [None] * (2 - len(args.data))
    return run_reporting_errors(lambda: run(args, paths), parser.prog,
                                args.debug, resumable=True)


def run(args: argparse.Namespace, paths: Sequence[Optional[str]]) -> None:
    dataset = dataset_from_args(args, *paths)
    if args.quick and args.data:
        dataset = dataset[:QUICK['subjects']]
    result = run_cross_validation(dataset, args.models, args.out, folds=args.folds,
                                  seed=args.seed, progress=not args.quiet,
                                  **fit_options(args))
    print('\n'.join(summary_lines(result, osp.join(args.out, 'results.md'))))
    print(f"results, checkpoints and figures written to {args.out}")


if __name__ == '__main__':
    sys.exit(main())
