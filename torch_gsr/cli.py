r"""The ``torch-gsr`` command (also ``python -m torch_gsr``).

Subcommands: ``train`` (data -> checkpoint), ``cv`` (k-fold cross-validation
of several models and the baselines -> tables, weights, figures),
``predict`` (checkpoint + LR data -> HR predictions), ``evaluate``
(checkpoint + paired data -> metrics) and ``plot`` (figures of a ``cv``
folder or of checkpoints on data). The option builders and
:func:`run_cross_validation` are shared with ``examples/slim_superres.py``.
"""
import argparse
import functools
import os
import os.path as osp
import shutil
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch

from .datasets import (write_challenge_csv, write_challenge_mat, write_numpy,
                       write_submission_csv)
from .datasets import FORMATS, detect_format, load_dataset
from .utils.io import atomic_path
from .distributed import is_main_process
from .metrics import mean_squared_error
from .nn.models import MODELS
from .plot import (plot_mse_bars, plot_subject, plot_training_curves,
                   representative_subject)
from .presets import DEFAULT_PRESET, PRESETS, get_preset
from .train import (ConnectomeTensors, CVResult, History, cross_validate,
                    evaluate, fit, load_checkpoint, predict)

FIGURES = ('fig2_subject.png', 'mse_bars.png', 'training_curves.png')
FIGURE_DATA = 'figure_data.pt'
PREDICTION_EXTENSIONS = ('.npy', '.npz', '.csv', '.mat')

EPILOG = """\
examples:
  torch-gsr cv --out runs/demo                      # 5-fold CV on the embedded synthetic data
  torch-gsr train --lr lr_train.csv --hr hr_train.csv --model GSRNet --out gsrnet.pt
  torch-gsr predict --checkpoint gsrnet.pt --lr lr_test.csv --out hr_pred.csv
  torch-gsr predict --checkpoint gsrnet.pt --lr lr_test.csv --submission --out submission.csv
  torch-gsr evaluate --checkpoint gsrnet.pt --lr lr_val.npy --hr hr_val.npy --protocol challenge
  torch-gsr plot --from runs/demo
  torch-gsr train --lr /data/SLIM --format slim --out slim.pt   # SLIM folder layout

Without --lr the embedded synthetic connectomes are used (--subjects,
--lr-nodes, --hr-nodes, --seed set their size and seed). Run
'torch-gsr <command> --help' for the options of one command.
"""


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


def dataset_from_args(args: argparse.Namespace, lr_path: Optional[str],
                      hr_path: Optional[str], paired: bool = True):
    r"""Loads the data the parsed ``args`` describe; with ``paired``, a file
    format without an HR path is an error."""
    format = args.format if args.format != 'auto' else detect_format(lr_path, hr_path)
    if paired and format in ('numpy', 'challenge') and hr_path is None:
        raise ValueError(f"{format} data needs the HR connectomes too (--hr PATH)")
    return load_dataset(lr_path, hr_path, format, args.order, args.lr_parcellation,
                        args.hr_parcellation, args.session, args.subjects,
                        args.lr_nodes, args.hr_nodes, args.seed)


def fit_options(args: argparse.Namespace) -> dict:
    r"""Keyword arguments of :func:`~torch_gsr.train.fit` from ``args``."""
    return dict(preset=args.preset, epochs=args.epochs, batch_size=args.batch_size,
                lr=args.learning_rate, device=args.device)


def model_factories(names: Sequence[str], lr_nodes: int, hr_nodes: int,
                    preset: str = DEFAULT_PRESET) -> Dict[str, Callable]:
    r"""``{name: factory}``: each factory builds an untrained model ``name``
    with the preset's model options."""
    return {name: functools.partial(MODELS[name], lr_nodes, hr_nodes,
                                    preset=preset)
            for name in names}


# ------------------------------------------------------- cross-validation --

def estimate_cv_seconds(factories: Dict[str, Callable], data: ConnectomeTensors,
                        folds: int, **fit_kwargs) -> float:
    r"""Estimated run time of :func:`run_cross_validation`: times the spectra
    and one epoch of every model on a few subjects, and scales to the whole
    run (subjects x epochs x folds)."""
    options = get_preset(fit_kwargs.get('preset', DEFAULT_PRESET))['fit']
    options.update({k: v for k, v in fit_kwargs.items() if v is not None})
    sample = data.subset(torch.arange(min(data.num_subjects,
                                          max(4, options['batch_size']))))
    began = time.perf_counter()
    sample = sample.with_spectra()
    seconds = (time.perf_counter() - began) * data.num_subjects / sample.num_subjects
    train_subjects = data.num_subjects * (folds - 1) / folds
    for factory in factories.values():
        began = time.perf_counter()
        fit(factory(), sample, epochs=1, progress=False,
            **{k: v for k, v in fit_kwargs.items() if k != 'epochs'})
        per_subject = (time.perf_counter() - began) / sample.num_subjects
        seconds += per_subject * train_subjects * options['epochs'] * folds
    return seconds


def run_cross_validation(dataset, models: Sequence[str], out: str, folds: int = 5,
                         seed: int = 0, protocol: str = 'subject',
                         topology: Optional[bool] = None, progress: bool = True,
                         log: Callable[[str], None] = print,
                         **fit_kwargs) -> CVResult:
    r"""Cross-validates ``models`` and the baselines on identical folds and
    writes everything to the folder ``out``: ``results.csv`` and
    ``results.md`` (every metric, mean and std over folds), ``<model>.pt``
    (the checkpoint of the model trained in the **last fold**, loadable
    with :func:`~torch_gsr.train.load_checkpoint`), the figures
    :obj:`FIGURES` and ``figure_data.pt`` (what ``torch-gsr plot`` redraws
    them from). Logs the estimated run time first.

    Args:
        dataset: paired data (anything :func:`cross_validate` accepts).
        models (sequence of str): names from :obj:`~torch_gsr.nn.models.MODELS`.
        out (str): output folder.
        folds, seed, protocol, topology, progress: see :func:`cross_validate`.
        log (callable): receives the messages.
        **fit_kwargs: ``preset``, ``epochs``, ``batch_size``, ``lr``,
            ``device``, ``distributed`` for :func:`~torch_gsr.train.fit`
            (under ``distributed``, only rank 0 writes files).
    """
    data = ConnectomeTensors.from_data(dataset)
    data.require_hr('cross-validation')
    factories = model_factories(models, data.lr_adj.size(-1), data.hr_adj.size(-1),
                                fit_kwargs.get('preset', DEFAULT_PRESET))
    seconds = estimate_cv_seconds(factories, data, folds, **fit_kwargs)
    if is_main_process():
        log(f"{folds}-fold CV of {', '.join(models)} and the baselines on "
            f"{data.num_subjects} subjects ({data.lr_adj.size(-1)} -> "
            f"{data.hr_adj.size(-1)} nodes); estimated time: about "
            f"{seconds / 60:.1f} min (an estimate from one timed epoch)")
    checkpoint_dir = osp.join(out, 'checkpoints')
    result = cross_validate(factories, data, folds=folds, seed=seed,
                            protocol=protocol, topology=topology,
                            progress=progress, checkpoint_dir=checkpoint_dir,
                            **fit_kwargs)
    result.to_csv(osp.join(out, 'results.csv'))
    result.to_markdown(osp.join(out, 'results.md'))
    if not is_main_process():
        return result
    _keep_last_fold_checkpoints(checkpoint_dir, out, models, folds)
    order = torch.cat(result.test_indices)
    figure_data = build_figure_data(
        data.hr_adj[order].cpu(),
        {name: torch.cat(preds) for name, preds in result.predictions.items()},
        [subjects.tolist() for subjects in _fold_positions(result.test_indices)],
        result.histories, [data.subjects[i] for i in order.tolist()])
    save_figure_data(figure_data, out)
    plot_figures(figure_data, out)
    return result


def _fold_positions(test_indices: List[torch.Tensor]) -> List[torch.Tensor]:
    r"""Positions of each fold's subjects in the concatenation of folds."""
    sizes = [len(indices) for indices in test_indices]
    return list(torch.arange(sum(sizes)).split(sizes))


def _keep_last_fold_checkpoints(checkpoint_dir: str, out: str,
                                models: Sequence[str], folds: int) -> None:
    for name in models:
        os.replace(osp.join(checkpoint_dir, f'{name}-fold{folds - 1}.pt'),
                   osp.join(out, f'{name}.pt'))
    shutil.rmtree(checkpoint_dir)


def summary_lines(result: CVResult, table_path: str) -> List[str]:
    r"""The Markdown results table and, per model, whether it beats the
    mean-HR baseline on MAE and PCC."""
    with open(table_path) as f:
        lines = f.read().splitlines()
    for name in result.histories:
        beats = result.beats_baseline(name)
        verdict = ', '.join(f"{'beats' if beats[m] else 'does NOT beat'} it on "
                            f"{m.upper()}" for m in ('mae', 'pcc'))
        lines.append(f"{name} vs the mean-HR baseline: {verdict}")
    return lines


# ------------------------------------------------------------------ figures --

def build_figure_data(hr_adj: torch.Tensor, predictions: Dict[str, torch.Tensor],
                      groups: List[List[int]],
                      histories: Dict[str, Sequence[History]],
                      subjects: List[str]) -> dict:
    r"""What :func:`plot_figures` draws, from ``hr_adj`` ``[S, N, N]``, the
    predictions of every method for the same subjects, ``groups`` of subject
    positions (the folds) over which the MSE's mean and std are taken,
    training ``histories`` and the subject ids. The Fig. 2 subject is the one
    of median MSE under the first method."""
    errors = {name: mean_squared_error(pred, hr_adj)
              for name, pred in predictions.items()}
    shown = representative_subject(next(iter(errors.values())))
    mse = {}
    for name, values in errors.items():
        per_group = torch.stack([values[group].mean() for group in groups])
        mse[name] = (float(per_group.mean()), float(per_group.std(correction=0)))
    # clone: a saved view would carry the storage of every subject
    return dict(subject=subjects[shown], hr_adj=hr_adj[shown].clone(),
                predictions={name: pred[shown].clone()
                             for name, pred in predictions.items()},
                mse=mse, histories={name: [h.to_dict() for h in runs]
                                    for name, runs in histories.items()})


def save_figure_data(figure_data: dict, folder: str) -> None:
    with atomic_path(osp.join(folder, FIGURE_DATA)) as tmp:
        torch.save(figure_data, tmp)


def plot_figures(figure_data: dict, folder: str) -> List[str]:
    r"""Draws :obj:`FIGURES` into ``folder``; returns their paths."""
    paths = [osp.join(folder, name) for name in FIGURES]
    plot_subject(paths[0], figure_data['hr_adj'], figure_data['predictions'],
                 figure_data['subject'])
    plot_mse_bars(paths[1], figure_data['mse'])
    plot_training_curves(paths[2], {
        name: [History.from_dict(h) for h in runs]
        for name, runs in figure_data['histories'].items()})
    return paths


# ----------------------------------------------------------------- commands --

def run_train(args: argparse.Namespace) -> None:
    dataset = dataset_from_args(args, args.lr, args.hr)
    data = ConnectomeTensors.from_data(dataset)
    factory = model_factories([args.model], data.lr_adj.size(-1),
                              data.hr_adj.size(-1), args.preset)[args.model]
    torch.manual_seed(args.seed)
    model = factory()
    history = fit(model, data, seed=args.seed, checkpoint=args.out,
                  distributed=args.distributed, **fit_options(args))
    if is_main_process():
        print(f"trained {args.model} for {len(history)} epochs "
              f"(final loss {history['total'][-1]:.5g}); checkpoint: "
              f"{args.out}")


def run_cv(args: argparse.Namespace) -> None:
    dataset = dataset_from_args(args, args.lr, args.hr)
    result = run_cross_validation(dataset, args.models, args.out, folds=args.folds,
                                  seed=args.seed, protocol=args.protocol,
                                  topology=args.topology,
                                  distributed=args.distributed,
                                  **fit_options(args))
    if is_main_process():
        print('\n'.join(summary_lines(result, osp.join(args.out, 'results.md'))))
        print(f"results, checkpoints and figures written to {args.out}")


def write_predictions(path: str, hr_adj: torch.Tensor, order: str = 'tril',
                      submission: bool = False) -> None:
    r"""Writes predictions ``[S, N, N]`` in the format of ``path``'s extension
    (``.npy``, ``.npz`` under key ``hr``, challenge ``.csv``, ``.mat`` under
    key ``HR``), or with ``submission`` as the challenge's ``ID,Predicted``
    CSV."""
    extension = osp.splitext(path)[1].lower()
    if submission:
        if extension != '.csv':
            raise ValueError(f"{path}: a submission is a .csv file")
        write_submission_csv(path, hr_adj, order)
    elif extension == '.npy':
        write_numpy(path, hr_adj.numpy())
    elif extension == '.npz':
        write_numpy(path, hr=hr_adj.numpy())
    elif extension == '.csv':
        write_challenge_csv(path, hr_adj, order)
    elif extension == '.mat':
        write_challenge_mat(path, hr_adj, 'HR', order)
    else:
        raise ValueError(f"{path}: unknown prediction format {extension!r} "
                         f"(expected one of {PREDICTION_EXTENSIONS})")


def default_prediction_path(lr_path: Optional[str], submission: bool) -> str:
    r"""``hr_predictions`` with the extension of ``lr_path`` (``.npy`` for
    folders and synthetic data; ``.csv`` for a submission)."""
    extension = '.npy'
    if submission:
        extension = '.csv'
    elif lr_path is not None and osp.splitext(lr_path)[1].lower() in \
            PREDICTION_EXTENSIONS:
        extension = osp.splitext(lr_path)[1].lower()
    return f'hr_predictions{extension}'


def run_predict(args: argparse.Namespace) -> None:
    model, _ = load_checkpoint(args.checkpoint)
    dataset = dataset_from_args(args, args.lr, None, paired=False)
    hr_adj = predict(model, dataset, device=args.device)
    out = args.out or default_prediction_path(args.lr, args.submission)
    write_predictions(out, hr_adj, args.order, args.submission)
    print(f"wrote {hr_adj.size(0)} predicted HR connectomes "
          f"({hr_adj.size(-1)} nodes) to {out}")


def run_evaluate(args: argparse.Namespace) -> None:
    model, _ = load_checkpoint(args.checkpoint)
    dataset = dataset_from_args(args, args.lr, args.hr)
    evaluation = evaluate(model, dataset, protocol=args.protocol,
                          topology=args.topology, device=args.device,
                          progress=True)
    lines = ['metric,mean,std'] + [f'{name},{mean:.6g},{std:.6g}' for name, (mean, std)
                                   in evaluation.summary.items()]
    print('\n'.join(lines))
    if args.out is not None:
        with atomic_path(args.out) as tmp, open(tmp, 'w') as f:
            f.write('\n'.join(lines) + '\n')


def run_plot(args: argparse.Namespace) -> None:
    if args.from_folder is not None:
        path = osp.join(args.from_folder, FIGURE_DATA)
        if not osp.isfile(path):
            raise FileNotFoundError(f"{path}: no such file (is {args.from_folder} "
                                    f"the output folder of 'torch-gsr cv'?)")
        figure_data = torch.load(path, weights_only=True)
        folder = args.out or args.from_folder
    elif args.checkpoint:
        figure_data = _checkpoint_figure_data(args)
        folder = args.out or '.'
    else:
        raise ValueError("plot needs --from DIR or --checkpoint PATH [PATH ...]")
    print('wrote ' + ', '.join(plot_figures(figure_data, folder)))


def _checkpoint_figure_data(args: argparse.Namespace) -> dict:
    data = ConnectomeTensors.from_data(dataset_from_args(args, args.lr, args.hr))
    data.require_hr('plot')
    predictions, histories = {}, {}
    for path in args.checkpoint:
        model, checkpoint = load_checkpoint(path)
        name = osp.splitext(osp.basename(path))[0]
        predictions[name] = predict(model, data, device=args.device)
        histories[name] = [History.from_dict(checkpoint['history'])]
    groups = [[i] for i in range(data.num_subjects)]
    return build_figure_data(data.hr_adj.cpu(), predictions, groups, histories,
                             data.subjects)


# ------------------------------------------------------------------- parser --

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
                  "the last fold's checkpoint per model and the figures.")
    cv.add_argument('--models', nargs='+', choices=sorted(MODELS),
                    default=list(MODELS), metavar='MODEL',
                    help=f"models to compare, from {', '.join(MODELS)} (default: all)")
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
    for command in (train, cv):
        add_training_options(command)
        command.add_argument('--distributed', action='store_true',
                             help="train in all processes started by torchrun "
                                  "(--batch-size is global; rank 0 writes)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    r"""Runs ``torch-gsr`` with ``argv`` (default: ``sys.argv[1:]``). Bad
    arguments and unreadable data end with a one-line error and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (OSError, ValueError) as error:
        parser.error(f"{args.command}: {error}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
