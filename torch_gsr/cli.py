r"""The ``torch-gsr`` command (also ``python -m torch_gsr``).

Subcommands: ``train`` (data -> checkpoint), ``cv`` (k-fold cross-validation
of several models and the baselines -> tables, weights, figures),
``predict`` (checkpoint + LR data -> HR predictions), ``evaluate``
(checkpoint + paired data -> metrics) and ``plot`` (figures of a ``cv``
folder or of checkpoints on data). The option builders and
:func:`run_cross_validation` are shared with ``examples/slim_superres.py``.
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Optional, Sequence

import torch

from .datasets import FORMATS, detect_format, load_dataset
from .distributed import is_main_process
from .experiments import (
    DEFAULT_MODELS,
    checkpoint_figure_data,
    default_prediction_path,
    evaluation_csv,
    load_figure_data,
    plot_figures,
    run_cross_validation,
    summary_lines,
    train_model,
    write_predictions,
    write_text,
)
from .nn.models import MODELS
from .presets import DEFAULT_PRESET, PRESETS
from .train import NonFiniteLossError, evaluate, load_checkpoint, predict
from .utils.progress import note

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


# ---------------------------------------------------------- option builders --

def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def _device(text: str) -> torch.device:
    try:
        device = torch.device(text)
    except RuntimeError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError("CUDA is not available on this machine")
    return device


def add_data_options(parser: argparse.ArgumentParser, paths: bool = True) -> None:
    r"""Adds the options that say where the data is and how to read it
    (``paths=False`` leaves out ``--lr``/``--hr`` for callers that take the
    paths as positional arguments)."""
    group = parser.add_argument_group('data')
    if paths:
        group.add_argument('--lr', metavar='PATH',
                           help="LR connectomes: a .npy/.npz file, a challenge "
                                ".csv/.mat file or a SLIM folder (default: the "
                                "embedded synthetic data)")
        group.add_argument('--hr', metavar='PATH',
                           help="HR connectomes paired with --lr, same format "
                                "(not needed for a SLIM folder)")
    group.add_argument('--format', choices=FORMATS, default='auto',
                       help="data format; 'auto' guesses it from the path "
                            "(folder: slim, .npy/.npz: numpy, .csv/.mat: "
                            "challenge, none: synthetic) (default: auto)")
    group.add_argument('--order', choices=('tril', 'triu'), default='tril',
                       help="vector order of challenge files (default: tril, "
                            "the challenge's)")
    group.add_argument('--lr-parcellation', default='Dosenbach_160',
                       help="SLIM folder name of the LR parcellation "
                            "(default: Dosenbach_160)")
    group.add_argument('--hr-parcellation', default='shen_268',
                       help="SLIM folder name of the HR parcellation "
                            "(default: shen_268)")
    group.add_argument('--session', default='session_1',
                       help="SLIM session folder (default: session_1)")
    group.add_argument('--subjects', type=_positive_int, default=277,
                       help="synthetic data: number of subjects (default: 277)")
    group.add_argument('--lr-nodes', type=_positive_int, default=160,
                       help="synthetic data: LR nodes (default: 160)")
    group.add_argument('--hr-nodes', type=_positive_int, default=268,
                       help="synthetic data: HR nodes (default: 268)")
    clean = parser.add_argument_group(
        'cleaning of data files', "each step of torch_gsr.datasets.cleaning "
        "(API: load_dataset(clean={...})); by default NaN/inf -> 0 (with a "
        "warning), absolute values, diagonal 1, then checks")
    clean.add_argument('--no-clean', action='store_true',
                       help="no cleaning step at all, checks only (clean=False)")
    clean.add_argument('--nonfinite', type=_number_or_keep, metavar='VALUE|keep',
                       help="replace NaN/inf by VALUE, or 'keep' them and get "
                            "an error naming the subject (nonfinite=; default: 0)")
    clean.add_argument('--negatives', choices=('abs', 'clip', 'keep'),
                       help="negative weights: absolute values, clipped to 0, "
                            "or kept (negatives=; default: abs)")
    clean.add_argument('--symmetrize', action='store_true', default=None,
                       help="replace A by (A + A^T) / 2 (symmetric=True)")
    clean.add_argument('--diagonal', type=_number_or_keep, metavar='VALUE|keep',
                       help="write VALUE on the diagonal, or 'keep' it "
                            "(diagonal=; default: 1)")


def _number_or_keep(text: str):
    if text == 'keep':
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number or 'keep', got {text!r}") from None


def cleaning_from_args(args: argparse.Namespace):
    r"""``clean=`` of :func:`~torch_gsr.datasets.load_dataset` from the
    cleaning options: ``True`` (defaults), ``False`` or the steps given."""
    steps = {name: None if value == 'keep' else value for name, value in
             (('nonfinite', args.nonfinite), ('negatives', args.negatives),
              ('symmetric', args.symmetrize), ('diagonal', args.diagonal))
             if value is not None}
    if args.no_clean and steps:
        raise ValueError("--no-clean turns every cleaning step off; drop it "
                         "or the step options")
    return False if args.no_clean else (steps or True)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    r"""Adds ``--quiet`` and ``--debug``."""
    group = parser.add_argument_group('output')
    group.add_argument('--quiet', action='store_true',
                       help="no progress or status lines, only the results "
                            "(and warnings)")
    group.add_argument('--debug', action='store_true',
                       help="on an error, show the traceback too")


def add_training_options(parser: argparse.ArgumentParser) -> None:
    r"""Adds the preset and its overrides (epochs, batch size, learning rate)."""
    group = parser.add_argument_group('training')
    group.add_argument('--preset', choices=sorted(PRESETS), default=DEFAULT_PRESET,
                       help=f"named defaults for the model and training; "
                            f"'paper' is the paper's protocol (default: "
                            f"{DEFAULT_PRESET})")
    group.add_argument('--epochs', type=_positive_int,
                       help="training epochs (default: the preset's)")
    group.add_argument('--batch-size', type=_positive_int,
                       help="subjects per update (default: the preset's)")
    group.add_argument('--learning-rate', type=_positive_float,
                       help="Adam learning rate (default: the preset's)")


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    r"""Adds ``--device`` and ``--seed``."""
    group = parser.add_argument_group('runtime')
    group.add_argument('--device', type=_device, default=torch.device('cpu'),
                       help="where to compute, e.g. cpu or cuda:0 (default: cpu)")
    group.add_argument('--seed', type=int, default=0,
                       help="seeds the synthetic data, the folds, the "
                            "initialisation and the training (default: 0)")


class _ModelNames(argparse.Action):
    # ``--models A B``, ``--models A,B`` and mixes give one flat list.
    def __call__(self, parser, namespace, values, option_string=None):
        names = [name for value in values for name in value.split(',') if name]
        unknown = sorted(set(names) - set(MODELS))
        if unknown or not names:
            parser.error(f"{option_string}: unknown model(s) {unknown}; expected "
                         f"names from {', '.join(MODELS)}")
        setattr(namespace, self.dest, names)


def add_models_option(parser: argparse.ArgumentParser) -> None:
    r"""Adds ``--models`` (space- or comma-separated names from
    :obj:`~torch_gsr.nn.MODELS`; default
    :obj:`~torch_gsr.experiments.DEFAULT_MODELS`)."""
    parser.add_argument('--models', nargs='+', action=_ModelNames,
                        default=list(DEFAULT_MODELS), metavar='MODEL',
                        help=f"models to cross-validate, space- or comma-separated, "
                             f"from {', '.join(MODELS)} (default: "
                             f"{','.join(DEFAULT_MODELS)}; STPGSR costs about "
                             f"20x GSRNet's time per epoch)")


def dataset_from_args(args: argparse.Namespace, lr_path: Optional[str],
                      hr_path: Optional[str], paired: bool = True):
    r"""Loads the data the parsed ``args`` describe (saying so on standard
    error unless ``--quiet``); with ``paired``, a file format without an HR
    path is an error."""
    format = args.format if args.format != 'auto' else detect_format(lr_path, hr_path)
    if paired and format in ('numpy', 'challenge') and hr_path is None:
        raise ValueError(f"{format} data needs the HR connectomes too (--hr PATH)")
    clean = cleaning_from_args(args)
    if format == 'synthetic':
        if clean is not True:
            raise ValueError("the cleaning options apply to data files, not "
                             "to the embedded synthetic data")
        source = (f"the embedded synthetic data ({args.subjects} subjects, "
                  f"{args.lr_nodes} -> {args.hr_nodes} nodes, seed {args.seed})")
    else:
        source = ' and '.join(p for p in (lr_path, hr_path) if p is not None)
    note(f"reading {source}", enabled=not args.quiet)
    kwargs = {} if format == 'synthetic' else dict(clean=clean)
    return load_dataset(lr_path, hr_path, format, args.order, args.lr_parcellation,
                        args.hr_parcellation, args.session, args.subjects,
                        args.lr_nodes, args.hr_nodes, args.seed,
                        progress=not args.quiet, **kwargs)


def scored_dataset_from_args(args: argparse.Namespace, paired: bool = True):
    r"""The data ``predict``/``evaluate``/``plot`` score a checkpoint on: it
    must be named, since the default (the embedded synthetic set) is also
    ``train``'s default training data."""
    if args.lr is None and args.format != 'synthetic':
        raise ValueError(
            f"{args.command} needs data: --lr PATH{' --hr PATH' if paired else ''}"
            f", or --format synthetic to score the embedded synthetic data "
            f"(which is also train's default training data)")
    if args.lr is None:
        print(f"torch-gsr {args.command}: note: scoring the embedded "
              f"synthetic data, train's default training data: for a model "
              f"trained without --lr these are training-set scores",
              file=sys.stderr)
    return dataset_from_args(args, args.lr, args.hr if paired else None, paired)


def fit_options(args: argparse.Namespace) -> dict:
    r"""Keyword arguments of :func:`~torch_gsr.train.fit` from ``args``."""
    return dict(preset=args.preset, epochs=args.epochs, batch_size=args.batch_size,
                learning_rate=args.learning_rate, device=args.device)


# ----------------------------------------------------------------- commands --

def run_train(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr train``: trains one model, writes its checkpoint."""
    dataset = dataset_from_args(args, args.lr, args.hr)
    _, history = train_model(dataset, args.model, seed=args.seed,
                             checkpoint=args.out, distributed=args.distributed,
                             progress=not args.quiet, **fit_options(args))
    if is_main_process():
        print(f"trained {args.model} for {len(history)} epochs "
              f"(final loss {history['total'][-1]:.5g}); checkpoint: "
              f"{args.out}")


def run_cv(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr cv``: resumable cross-validation written to ``--out``."""
    dataset = dataset_from_args(args, args.lr, args.hr)
    result = run_cross_validation(dataset, args.models, args.out, folds=args.folds,
                                  seed=args.seed, protocol=args.protocol,
                                  topology=args.topology,
                                  distributed=args.distributed,
                                  progress=not args.quiet, **fit_options(args))
    if is_main_process():
        print('\n'.join(summary_lines(result, osp.join(args.out, 'results.md'))))
        print(f"results, checkpoints and figures written to {args.out}")


def run_predict(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr predict``: writes a checkpoint's HR predictions."""
    model, _ = load_checkpoint(args.checkpoint)
    dataset = scored_dataset_from_args(args, paired=False)
    hr_adj = predict(model, dataset, device=args.device, progress=not args.quiet)
    out = args.out or default_prediction_path(args.lr, args.submission)
    write_predictions(out, hr_adj, args.order, args.submission)
    print(f"wrote {hr_adj.size(0)} predicted HR connectomes "
          f"({hr_adj.size(-1)} nodes) to {out}")


def run_evaluate(args: argparse.Namespace) -> None:
    """Runs ``torch-gsr evaluate``: prints a checkpoint's metrics on paired data."""
    model, _ = load_checkpoint(args.checkpoint)
    dataset = scored_dataset_from_args(args)
    evaluation = evaluate(model, dataset, protocol=args.protocol,
                          topology=args.topology, device=args.device,
                          progress=not args.quiet)
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
                     "(weights, config, history) is written after every epoch.")
    train.add_argument('--model', choices=sorted(MODELS), default='GSRNet',
                       help="model to train (default: GSRNet)")
    train.add_argument('--out', default='gsr_model.pt', metavar='PATH',
                       help="checkpoint file (default: gsr_model.pt)")

    cv = _command(subparsers, 'cv', run_cv, 'cross-validate models and baselines',
                  "k-fold cross-validation of models and of the mean-HR and "
                  "ridge baselines on identical folds; writes results.csv/.md, "
                  "the last fold's checkpoint per model and the figures. An "
                  "interrupted run keeps its finished folds and epoch "
                  "checkpoints in DIR/checkpoints: the same command continues "
                  "it (other settings or data: an error).")
    add_models_option(cv)
    cv.add_argument('--folds', type=_positive_int, default=5,
                    help="number of folds (default: 5)")
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

    ev = _command(subparsers, 'evaluate', run_evaluate, 'evaluate a checkpoint',
                  "Metrics of a trained checkpoint on paired data: MSE, MAE, PCC, "
                  "Jensen-Shannon distance (and centrality errors with --topology).")
    ev.add_argument('--checkpoint', required=True, metavar='PATH',
                    help="checkpoint written by 'torch-gsr train' or 'cv'")
    ev.add_argument('--out', metavar='PATH', help="also write the table as CSV")

    for command in (cv, ev):
        command.add_argument('--protocol', choices=('subject', 'challenge'),
                             default='subject',
                             help="'subject': per-subject metrics, mean and std; "
                                  "'challenge': the public challenge's pooled "
                                  "evaluation (default: subject)")
        command.add_argument('--topology', action=argparse.BooleanOptionalAction,
                             help="compute the centrality errors (slow; "
                                  "default: on for the challenge protocol only)")

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


def one_line(error: BaseException) -> str:
    r"""``error``'s message on one line."""
    return '; '.join(line.strip() for line in str(error).splitlines()
                     if line.strip()) or type(error).__name__


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


def main(argv: Optional[Sequence[str]] = None) -> int:
    r"""Runs ``torch-gsr`` with ``argv`` (default: ``sys.argv[1:]``). Bad
    arguments and unreadable data end with a one-line error and exit code 2
    (``--debug``: the traceback instead)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status = run_reporting_errors(lambda: args.run(args),
                                  f'torch-gsr {args.command}', args.debug,
                                  resumable=args.command == 'cv')
    if status:
        sys.exit(status)
    return 0


if __name__ == '__main__':
    sys.exit(main())
