r"""The ``torch-gsr`` command's option builders: data, cleaning, training,
runtime and output options, and what the parsed options load or mean."""
import argparse
import sys
from typing import List, Optional

import torch

from ..config import DEFAULT_PRESET, PRESET_NAMES
from ..config.fit import SPLITS
from ..datasets import FORMATS, detect_format, load_dataset
from ..experiments import DEFAULT_MODELS
from ..metrics import TOPOLOGY_MEASURES
from ..nn.registry import MODELS
from ..utils.progress import note


def _positive_int(text: str, minimum: int = 1) -> int:
    value = int(text)
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    return _positive_int(text, 0)


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
    group.add_argument('--preset', choices=PRESET_NAMES, default=DEFAULT_PRESET,
                       help=f"named defaults for the model and training; "
                            f"'paper' is the paper's protocol (default: "
                            f"{DEFAULT_PRESET})")
    group.add_argument('--epochs', type=_positive_int,
                       help="training epochs (default: the preset's)")
    group.add_argument('--batch-size', type=_positive_int,
                       help="subjects per update (default: the preset's)")
    group.add_argument('--learning-rate', type=_positive_float,
                       help="Adam learning rate (default: the preset's)")
    group.add_argument('--groups', metavar='PATH',
                       help="text file of one group label per subject, in the "
                            "data's order (the subject, run or site of each "
                            "sample): no group is split apart (default: the "
                            "data's subject ids, windows '<id>-w<k>' grouped by <id>)")
    group.add_argument('--split', choices=SPLITS, default='auto',
                       help="hold out whole groups, or the last block of every "
                            "group in order; auto: groups, or for samples without "
                            "groups that overlap, the last block with a measured "
                            "gap (default: auto)")
    group.add_argument('--gap', type=_non_negative_int, default=0,
                       help="samples left out of training next to a held-out "
                            "block, within its group (default: 0)")


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    r"""Adds ``--device``, ``--seed`` and ``--plugin``."""
    group = parser.add_argument_group('runtime')
    group.add_argument('--plugin', action='append', default=[], metavar='MODULE',
                       help="import this module (a name, or a .py file) first: "
                            "the models it registers join --model/--models; "
                            "repeatable (installed packages' models under the "
                            "'torch_gsr.models' entry point group load by themselves)")
    group.add_argument('--device', type=_device, default=torch.device('cpu'),
                       help="where to compute, e.g. cpu or cuda:0 (default: cpu)")
    group.add_argument('--seed', type=int, default=0,
                       help="seeds the synthetic data (another seed is another "
                            "simulated population, not new subjects of it), the "
                            "folds, the initialisation and the training (default: 0)")


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


class _TopologyNames(argparse.Action):
    # ``--topology``: True (the challenge's centralities); ``--topology all``
    # or names (space- or comma-separated): those measures.
    def __call__(self, parser, namespace, values, option_string=None):
        names = [name for value in values for name in value.split(',') if name]
        unknown = sorted(set(names) - set(TOPOLOGY_MEASURES) - {'all'})
        if unknown:
            parser.error(f"{option_string}: unknown measure(s) {unknown}; expected "
                         f"'all' or names from {', '.join(TOPOLOGY_MEASURES)}")
        setattr(namespace, self.dest, 'all' if 'all' in names else names or True)


def add_topology_option(parser: argparse.ArgumentParser) -> None:
    r"""Adds ``--topology [NAMES...]`` and ``--no-topology`` (``topology=``
    of :func:`~torch_gsr.metrics.evaluate_predictions`)."""
    parser.add_argument('--topology', nargs='*', action=_TopologyNames,
                        metavar='MEASURE',
                        help=f"alone: the challenge's betweenness, eigenvector "
                             f"and PageRank errors; with names (or 'all'): "
                             f"those of {', '.join(TOPOLOGY_MEASURES)} "
                             f"(docs/metrics.md; betweenness is slow) "
                             f"(default: alone for the challenge protocol only)")
    parser.add_argument('--no-topology', dest='topology', action='store_false',
                        help="no topological errors")


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


def read_groups(path: Optional[str], num_samples: int) -> Optional[List[str]]:
    r"""The group labels in the text file ``path``, one a line (blank lines
    skipped), or :obj:`None` without a path; a ``ValueError`` naming the
    file unless it holds ``num_samples``."""
    if path is None:
        return None
    try:
        with open(path) as file:
            labels = [line.strip() for line in file if line.strip()]
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read the group labels ({error})") from None
    if len(labels) != num_samples:
        raise ValueError(f"{path}: {len(labels)} group labels for {num_samples} "
                         f"subjects (expected one line per subject, in the data's order)")
    return labels


def fit_options(args: argparse.Namespace, num_samples: int) -> dict:
    r"""Keyword arguments of :func:`~torch_gsr.train.fit` (and
    :func:`~torch_gsr.train.cross_validate`) from ``args``, for data of
    ``num_samples``."""
    return dict(preset=args.preset, epochs=args.epochs, batch_size=args.batch_size,
                learning_rate=args.learning_rate, device=args.device,
                groups=read_groups(args.groups, num_samples), split=args.split, gap=args.gap)
