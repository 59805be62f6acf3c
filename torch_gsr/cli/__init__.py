r"""The ``torch-gsr`` command (also ``python -m torch_gsr``).

Subcommands: ``train`` (data -> checkpoint), ``cv`` (k-fold cross-validation
of several models and the baselines -> tables, weights, figures),
``predict`` (checkpoint + LR data -> HR predictions), ``evaluate``
(checkpoint + paired data -> metrics) and ``plot`` (figures of a ``cv``
folder or of checkpoints on data). The option builders live in
:mod:`torch_gsr.cli.options`; the runs themselves in
:mod:`torch_gsr.experiments`, which the examples use too.
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Optional, Sequence

from ..distributed import is_main_process
from ..experiments import (
    checkpoint_figure_data,
    default_prediction_path,
    evaluation_csv,
    load_figure_data,
    plot_figures,
    run_cross_validation,
    summary_lines,
    train_model,
    write_predictions,
)
from ..nn.registry import MODELS, import_plugin, load_plugins
from ..train import NonFiniteLossError, evaluate, load_checkpoint, predict
from ..train.cv import FOLD_ORDERS
from ..utils.io import one_line, write_text
from .options import (
    _positive_int,
    add_data_options,
    add_models_option,
    add_output_options,
    add_runtime_options,
    add_topology_option,
    add_training_options,
    cleaning_from_args,
    dataset_from_args,
    fit_options,
    scored_dataset_from_args,
)

__all__ = [
    'main', 'build_parser', 'run_reporting_errors', 'INTERRUPTED',
    'run_train', 'run_cv', 'run_predict', 'run_evaluate', 'run_plot',
    'add_data_options', 'add_models_option', 'add_output_options',
    'add_runtime_options', 'add_training_options', 'cleaning_from_args',
    'dataset_from_args', 'fit_options', 'scored_dataset_from_args',
]

EPILOG = """\
examples:
  torch-gsr cv --out runs/demo                      # 5-fold CV on the embedded synthetic data
  torch-gsr train --lr lr_train.csv --hr hr_train.csv --model GSRNet --out gsrnet.pt
  torch-gsr predict --checkpoint gsrnet.pt --lr lr_test.csv --out hr_pred.csv
  torch-gsr predict --checkpoint gsrnet.pt --lr lr_test.csv --submission --out submission.csv
  torch-gsr evaluate --checkpoint gsrnet.pt --lr lr_val.npy --hr hr_val.npy --protocol challenge
  torch-gsr plot --from runs/demo
  torch-gsr train --lr /data/SLIM --format slim --out slim.pt   # SLIM folder layout

Without --lr, train and cv use the embedded synthetic connectomes (--subjects,
--lr-nodes, --hr-nodes, --seed set their size and seed); predict, evaluate and
plot --checkpoint need data (--format synthetic scores the embedded set, which
is train's default training data). An interrupted cv continues where it
stopped when the same command is run again. Progress goes to stderr (a bar on
a terminal, a line per step otherwise; --quiet: none); results to stdout.
Errors are one line and exit status 2 (--debug: with the traceback).
Run 'torch-gsr <command> --help' for the options of one command.
"""

#: Exit status of a run stopped with Ctrl-C (128 + SIGINT), as a shell's.
INTERRUPTED = 130


# ----------------------------------------------------------------- commands --

def run_train(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr train``: trains one model, writes its checkpoint."""
    dataset = dataset_from_args(args, args.lr, args.hr)
    _, history = train_model(dataset, args.model, seed=args.seed,
                             checkpoint=args.out, distributed=args.distributed,
                             progress=not args.quiet, **fit_options(args, len(dataset)))
    if is_main_process():
        runs = history.members or [history]
        members = f' ({len(runs)} members)' if history.members else ''
        epochs = '/'.join(str(len(run)) for run in runs)
        losses = '/'.join(f"{run['total'][-1]:.5g}" for run in runs)
        print(f"trained {args.model}{members} for {epochs} epochs (final loss "
              f"{losses}); checkpoint: {args.out}")


def run_cv(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr cv``: resumable cross-validation written to ``--out``."""
    dataset = dataset_from_args(args, args.lr, args.hr)
    result = run_cross_validation(dataset, args.models, args.out, folds=args.folds,
                                  seed=args.seed, protocol=args.protocol,
                                  topology=args.topology,
                                  distributed=args.distributed,
                                  progress=not args.quiet, fold_order=args.fold_order,
                                  fold_seed=args.fold_seed, **fit_options(args, len(dataset)))
    if is_main_process():
        print('\n'.join(summary_lines(result, osp.join(args.out, 'results.md'))))
        print(f"results, checkpoints and figures written to {args.out}")


def _coverage(text: str) -> float:
    """``--intervals``: a coverage strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"a coverage must be in (0, 1), got {text}")
    return value


def run_predict(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr predict``: writes a checkpoint's HR predictions."""
    model, _ = load_checkpoint(args.checkpoint)
    dataset = scored_dataset_from_args(args, paired=False)
    out = args.out or default_prediction_path(args.lr, args.submission)
    if args.intervals is None:
        hr_adj = predict(model, dataset, device=args.device, progress=not args.quiet)
    else:
        if args.submission:
            raise ValueError("--intervals writes two more connectome files; "
                             "a --submission has no room for them")
        hr_adj, lower, upper = predict(model, dataset, device=args.device,
                                       progress=not args.quiet,
                                       intervals=args.intervals)
        stem, extension = osp.splitext(out)
        for bound, values in (('lower', lower), ('upper', upper)):
            write_predictions(f'{stem}_{bound}{extension}', values, args.order)
        print(f"wrote the {args.intervals:.0%} intervals' bounds to "
              f"{stem}_lower{extension} and {stem}_upper{extension}")
    write_predictions(out, hr_adj, args.order, args.submission)
    print(f"wrote {hr_adj.size(0)} predicted HR connectomes "
          f"({hr_adj.size(-1)} nodes) to {out}")


def run_evaluate(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr evaluate``: prints a checkpoint's metrics on paired data."""
    model, _ = load_checkpoint(args.checkpoint)
    dataset = scored_dataset_from_args(args)
    # residual_pcc: the subject-specific signal, relative to the scored
    # subjects' own mean HR connectome (no training data is at hand here).
    evaluation = evaluate(model, dataset, protocol=args.protocol,
                          topology=args.topology, device=args.device,
                          progress=not args.quiet, reference=dataset,
                          seed=args.seed)
    text = evaluation_csv(evaluation)
    print(text, end='')
    if args.out is not None:
        write_text(args.out, text)


def run_plot(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr plot``: draws the figures of a ``cv`` folder or of checkpoints."""
    if args.from_folder is not None:
        figure_data = load_figure_data(args.from_folder)
        folder = args.out or args.from_folder
    elif args.checkpoint:
        figure_data = checkpoint_figure_data(
            args.checkpoint, scored_dataset_from_args(args), args.device,
            progress=not args.quiet)
        folder = args.out or '.'
    else:
        raise ValueError("plot needs --from DIR or --checkpoint PATH [PATH ...]")
    print('wrote ' + ', '.join(plot_figures(figure_data, folder)))


def _command(subparsers, name: str, run: Callable, help: str, description: str):
    parser = subparsers.add_parser(
        name, help=help, description=description, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(run=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    r"""The ``torch-gsr`` argument parser with its five subcommands."""
    parser = argparse.ArgumentParser(
        prog='torch-gsr', epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Brain graph super-resolution (GSR-Net): predict a "
                    "high-resolution (HR) connectome from a low-resolution "
                    "(LR) one, train and compare models.")
    subparsers = parser.add_subparsers(dest='command', required=True,
                                       metavar='COMMAND')

    train = _command(subparsers, 'train', run_train, 'train a model, save a checkpoint',
                     "Train one model on paired LR/HR data; the checkpoint "
                     "(weights, config, history) is written at most every 300 s "
                     "during training and at the end of the run.")
    train.add_argument('--model', choices=sorted(MODELS), default='GSRNet',
                       help="model to train (default: GSRNet)")
    train.add_argument('--out', default='gsr_model.pt', metavar='PATH',
                       help="checkpoint file (default: gsr_model.pt)")

    cv = _command(subparsers, 'cv', run_cv, 'cross-validate models and baselines',
                  "k-fold cross-validation of models and of the mean-HR and "
                  "ridge baselines on identical folds; writes results.csv/.md, "
                  "the last fold's checkpoint per model and the figures. An "
                  "interrupted run keeps its finished folds and its "
                  "checkpoints in DIR/checkpoints: the same command continues "
                  "it (other settings or data: an error).")
    add_models_option(cv)
    cv.add_argument('--folds', type=_positive_int, default=5,
                    help="number of folds (default: 5)")
    cv.add_argument('--fold-order', choices=FOLD_ORDERS, default='seeded',
                    help="seeded: the package's folds (a permutation drawn with "
                         "--seed); contiguous or shuffled: scikit-learn's KFold "
                         "without or with shuffling, as the GSR-Net (contiguous) "
                         "and STP-GSR (shuffled, --fold-seed 42) releases "
                         "(default: seeded)")
    cv.add_argument('--fold-seed', type=int, default=42,
                    help="random_state of --fold-order shuffled (default: 42)")
    cv.add_argument('--out', default='runs/cv', metavar='DIR',
                    help="output folder (default: runs/cv)")

    pred = _command(subparsers, 'predict', run_predict, 'predict HR connectomes',
                    "Predict HR connectomes from LR ones with a trained checkpoint. "
                    "The output format follows --out's extension (.npy, .npz, "
                    "challenge .csv, .mat); by default the format of --lr.")
    pred.add_argument('--checkpoint', required=True, metavar='PATH',
                      help="checkpoint written by 'torch-gsr train' or 'cv'")
    pred.add_argument('--out', metavar='PATH',
                      help="predictions file (default: hr_predictions.<ext of --lr>)")
    pred.add_argument('--submission', action='store_true',
                      help="write the challenge's ID,Predicted submission CSV")
    pred.add_argument('--intervals', type=_coverage, metavar='COVERAGE',
                      help="also per-edge prediction intervals of this coverage, "
                      "e.g. 0.9 (EnsembleGSR checkpoints), written next to --out "
                      "as <name>_lower and <name>_upper")

    ev = _command(subparsers, 'evaluate', run_evaluate, 'evaluate a checkpoint',
                  "Metrics of a trained checkpoint on paired data: MSE, MAE, PCC, "
                  "Jensen-Shannon distance, residual PCC (prediction and truth "
                  "minus the scored subjects' mean HR connectome, correlated "
                  "per subject: the subject-specific signal a prediction "
                  "carries) and, with --topology, topological errors.")
    ev.add_argument('--checkpoint', required=True, metavar='PATH',
                    help="checkpoint written by 'torch-gsr train' or 'cv'")
    ev.add_argument('--out', metavar='PATH', help="also write the table as CSV")

    for command in (cv, ev):
        command.add_argument('--protocol', choices=('subject', 'challenge'),
                             default='subject',
                             help="'subject': per-subject metrics, mean and std; "
                                  "'challenge': the public challenge's pooled "
                                  "evaluation (default: subject)")
        add_topology_option(command)

    plot = _command(subparsers, 'plot', run_plot, 'draw the figures',
                    "Draw fig2_subject.png, mse_bars.png and training_curves.png "
                    "from a 'torch-gsr cv' folder, or from checkpoints on data.")
    plot.add_argument('--from', dest='from_folder', metavar='DIR',
                      help="output folder of 'torch-gsr cv'")
    plot.add_argument('--checkpoint', nargs='+', metavar='PATH',
                      help="checkpoints to compare on the data")
    plot.add_argument('--out', metavar='DIR',
                      help="folder of the figures (default: --from DIR, or .)")

    for command in (train, cv, pred, ev, plot):
        add_data_options(command)
        add_runtime_options(command)
        add_output_options(command)
    for command in (train, cv):
        add_training_options(command)
        command.add_argument('--distributed', action='store_true',
                             help="train in all processes started by torchrun "
                                  "(--batch-size is global; rank 0 writes)")
    return parser


def run_reporting_errors(run: Callable[[], None], prog: str, debug: bool,
                         resumable: bool = False) -> int:
    r"""Calls ``run``; a user error (bad argument, unreadable or invalid
    data: ``OSError``/``ValueError``; a loss that diverged to NaN:
    :class:`~torch_gsr.train.NonFiniteLossError`) ends with one line on standard error
    and exit status 2, Ctrl-C with status 130 (``debug``: raise instead);
    ``resumable`` says that running the command again continues."""
    try:
        run()
    except (OSError, ValueError, NonFiniteLossError) as error:
        if debug:
            raise
        print(f"{prog}: error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        again = ('; run the same command again to continue where it stopped'
                 if resumable else '')
        print(f"{prog}: interrupted{again}", file=sys.stderr)
        return INTERRUPTED
    return 0


def _load_plugins(argv: Sequence[str]) -> None:
    # Before the parser is built: its model choices include the plugins'.
    plugins = argparse.ArgumentParser(add_help=False)
    plugins.add_argument('--plugin', action='append', default=[])
    try:
        load_plugins()
        for spec in plugins.parse_known_args(argv)[0].plugin:
            import_plugin(spec)
    except ImportError as error:
        raise ValueError(str(error)) from error


def main(argv: Optional[Sequence[str]] = None) -> int:
    r"""Runs ``torch-gsr`` with ``argv`` (default: ``sys.argv[1:]``), after
    importing the models of installed plugins and of ``--plugin``. Bad
    arguments and unreadable data end with a one-line error and exit code 2
    (``--debug``: the traceback instead)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    status = run_reporting_errors(lambda: _load_plugins(argv), 'torch-gsr',
                                  '--debug' in argv)
    if status:
        sys.exit(status)
    parser = build_parser()
    args = parser.parse_args(argv)
    status = run_reporting_errors(lambda: args.run(args),
                                  f'torch-gsr {args.command}', args.debug,
                                  resumable=args.command == 'cv')
    if status:
        sys.exit(status)
    return 0
