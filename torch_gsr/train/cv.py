r"""K-fold cross-validation of models and baselines on identical folds, and
its result table."""
import functools
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Union, cast

import torch
from torch import Tensor

from .. import distributed as dist
from ..baselines import MeanHR, RidgeRegression
from ..config.fit import check_split
from ..metrics import Evaluation, evaluate_predictions
from ..nn.base import SuperResolutionModel
from ..utils.groups import (
    group_index,
    held_out_parts,
    kfold_parts,
    split_units,
    training_part,
)
from ..utils.io import write_text
from ..utils.progress import Progress
from ..utils.validation import check_int
from . import cv_state
from .history import History
from .holdout import warn_if_near_copies
from .inference import predict
from .loop import fit
from .tensors import ConnectomeTensors

BASELINES = {'MeanHR': MeanHR, 'RidgeRegression': RidgeRegression}


#: How :func:`kfold_indices` orders the subjects before cutting the folds.
FOLD_ORDERS = ('seeded', 'contiguous', 'shuffled')


def kfold_indices(num_subjects: int, folds: int, seed: int = 0,
                  groups: Optional[Sequence] = None, split: str = 'auto',
                  fold_order: str = 'seeded', fold_seed: int = 42) -> List[Tensor]:
    r"""Test indices of each fold, disjoint and covering every subject once:
    with ``split='groups'`` (or ``'auto'``) a seeded permutation of the groups (default:
    each subject its own) cut into ``folds`` near-equal parts; with
    ``'blocks'`` the ``k``-th of ``folds`` contiguous blocks of every group
    (:func:`~torch_gsr.utils.groups.held_out_parts`). ``fold_order``
    ``'contiguous'`` and ``'shuffled'`` replace these by scikit-learn's
    ``KFold(folds)`` folds, ``shuffle=False``, or ``shuffle=True`` with
    ``random_state=fold_seed`` (:func:`~torch_gsr.utils.groups.kfold_parts`;
    independent subjects only)."""
    check_int(folds, 'folds', 2)
    check_split(split, 0)
    group = group_index(range(num_subjects) if groups is None else groups, num_subjects)
    if fold_order != 'seeded':
        return release_folds(group, folds, fold_order, fold_seed)
    split = 'groups' if split == 'auto' else split
    group = split_units(group, split)
    units = int(group.max()) + 1 if split == 'groups' else int(group.bincount().min())
    what = ('subjects' if units == num_subjects else 'groups') if split == 'groups' \
        else 'samples of the smallest group'
    if folds > units:
        raise ValueError(f"folds={folds} is more than the {units} {what} "
                         f"(each fold needs at least one test subject)")
    return [held.nonzero().view(-1) for held in held_out_parts(group, folds, split, seed)]


def release_folds(group: Tensor, folds: int, fold_order: str,
                  fold_seed: int) -> List[Tensor]:
    r"""scikit-learn's ``KFold`` test indices (sorted) for ``fold_order``
    ``'contiguous'`` or ``'shuffled'`` on independent samples ``group``."""
    if fold_order not in FOLD_ORDERS:
        raise ValueError(f"fold_order must be one of {FOLD_ORDERS}, got {fold_order!r}")
    check_int(fold_seed, 'fold_seed', 0)
    if int(group.max()) + 1 != group.numel():
        raise ValueError(f"fold_order={fold_order!r} cuts the samples as they come "
                         f"and would split groups apart; use fold_order='seeded'")
    if folds > group.numel():
        raise ValueError(f"folds={folds} is more than the {group.numel()} subjects "
                         f"(each fold needs at least one test subject)")
    seed = fold_seed if fold_order == 'shuffled' else None
    return [held.nonzero().view(-1) for held in kfold_parts(group.numel(), folds, seed)]


@dataclass
class CVResult:
    r"""Results of :func:`cross_validate`. Per method name (model names and
    ``"MeanHR"``, ``"RidgeRegression"``), lists with one entry per fold.

    Attributes:
        subjects (list of str): subject ids of the whole dataset.
        test_indices (list of Tensor): each fold's test subjects (indices).
        evaluations (dict): name -> list of :class:`Evaluation`.
        predictions (dict): name -> list of ``[S_k, N_h, N_h]`` test
            predictions (CPU), in ``test_indices`` order.
        histories (dict): model name -> list of :class:`History`.
        models (dict): model name -> list of trained models (CPU).
    """
    subjects: List[str]
    test_indices: List[Tensor]
    evaluations: Dict[str, List[Evaluation]] = field(default_factory=dict)
    predictions: Dict[str, List[Tensor]] = field(default_factory=dict)
    histories: Dict[str, List[History]] = field(default_factory=dict)
    models: Dict[str, List[SuperResolutionModel]] = field(default_factory=dict)

    @property
    def methods(self) -> List[str]:
        """Method names, models first, in the order they were run."""
        return list(self.evaluations)

    def fold_summary(self, method: str) -> Dict[str, Tensor]:
        r"""Metric -> ``[folds]`` the metric's (subject-mean) value per fold."""
        evaluations = self.evaluations[method]
        return {metric: torch.tensor([e.summary[metric][0] for e in evaluations],
                                     dtype=torch.float64)
                for metric in evaluations[0].summary}

    def beats_baseline(self, method: str,
                       baseline: str = 'MeanHR') -> Dict[str, bool]:
        r"""Whether ``method`` has a lower mean MAE (``"mae"``) and a higher
        mean PCC (``"pcc"``) over folds than ``baseline``."""
        ours, theirs = self.fold_summary(method), self.fold_summary(baseline)
        return dict(mae=bool(ours['mae'].mean() < theirs['mae'].mean()),
                    pcc=bool(ours['pcc'].mean() > theirs['pcc'].mean()))

    def table(self) -> List[Dict[str, object]]:
        r"""One row per method: ``method``, ``<metric>_mean`` and
        ``<metric>_std`` over folds (population std) for every metric, and
        ``beats_mean_hr`` (``"yes"`` when it beats :class:`MeanHR` on both
        MAE and PCC, ``"no"`` otherwise; ``""`` for MeanHR itself or when
        MeanHR was not run)."""
        rows: List[Dict[str, object]] = []
        for method in self.methods:
            row: Dict[str, object] = dict(method=method)
            for metric, values in self.fold_summary(method).items():
                row[f'{metric}_mean'] = float(values.mean())
                row[f'{metric}_std'] = float(values.std(correction=0))
            row['beats_mean_hr'] = ''
            if 'MeanHR' in self.evaluations and method != 'MeanHR':
                beats = self.beats_baseline(method)
                row['beats_mean_hr'] = 'yes' if all(beats.values()) else 'no'
            rows.append(row)
        return rows

    def to_csv(self, path: str) -> None:
        r"""Writes :meth:`table` as CSV (atomically)."""
        rows = self.table()
        lines = [','.join(rows[0])]
        lines += [','.join(_cell(v, '.6g') for v in row.values()) for row in rows]
        _write_text(path, '\n'.join(lines) + '\n')

    def to_markdown(self, path: str) -> None:
        r"""Writes :meth:`table` as a Markdown table, ``mean ± std`` per
        metric (atomically)."""
        rows = self.table()
        metrics = [k[:-5] for k in rows[0] if k.endswith('_mean')]
        header = ['method'] + metrics + ['beats mean HR']
        lines = ['| ' + ' | '.join(header) + ' |',
                 '|' + '---|' * len(header)]
        for row in rows:
            cells = [str(row['method'])]
            cells += [f"{_cell(row[m + '_mean'], '.4f')} ± "
                      f"{_cell(row[m + '_std'], '.4f')}" for m in metrics]
            cells.append(str(row['beats_mean_hr'] or '-'))
            lines.append('| ' + ' | '.join(cells) + ' |')
        _write_text(path, '\n'.join(lines) + '\n')


def _cell(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, float) else str(value)


def _write_text(path: str, text: str) -> None:
    # Every rank holds the same result: rank 0 alone writes it.
    dist.run_on_main(lambda: write_text(path, text), f'writing {path}')


def _named_factories(model_factory) -> Dict[str, Callable]:
    if callable(model_factory):
        model_factory = {None: model_factory}
    if not (isinstance(model_factory, dict) and model_factory and
            all(callable(f) for f in model_factory.values())):
        raise ValueError("model_factory must be a callable returning a "
                         "model, or a non-empty dict {name: callable}")
    # an unnamed factory's method is named after its model's class
    return {name if name is not None else type(factory()).__name__: factory
            for name, factory in model_factory.items()}


def _fingerprint(factories: Dict[str, Callable], data: ConnectomeTensors,
                 **settings) -> dict:
    r"""What a resumed run must share with the run it continues."""
    configs = {name: factory().get_config() for name, factory in factories.items()}
    fit_kwargs = settings.pop('fit_kwargs')
    return dict(settings, model_configs=configs, data=cv_state.data_digest(data),
                fit_arguments={key: repr(value) for key, value
                               in sorted(fit_kwargs.items()) if key != 'device'})


def _dependence(data: ConnectomeTensors, split: str, gap: int) -> dict:
    independent = len(set(cast(List[str], data.groups))) == data.num_subjects
    return {key: value for key, value in
            dict(groups=None if independent else data.groups,
                 split=None if split == 'auto' else split, gap=gap or None).items()
            if value is not None}


def cross_validate(model_factory: Union[Callable[[], SuperResolutionModel],
                                        Dict[str, Callable[[], SuperResolutionModel]]],
                   dataset, folds: int = 5, seed: int = 0,
                   baselines: bool = True, protocol: str = 'subject',
                   topology=False, progress: bool = True,
                   checkpoint_dir: Optional[str] = None,
                   distributed: bool = False, groups: Optional[Sequence] = None,
                   split: str = 'auto', gap: int = 0, fold_order: str = 'seeded',
                   fold_seed: int = 42, **fit_kwargs) -> CVResult:
    r"""K-fold cross-validation with a fresh model per fold, resumable.

    In fold ``k`` a new model from ``model_factory()`` (built after seeding
    torch with the fold's seed) is trained with :func:`fit` on the other
    folds (:func:`kfold_indices`) and evaluated on fold ``k``, with
    ``residual_pcc`` against the fold's training-mean HR connectome. With
    ``checkpoint_dir`` the same call continues an interrupted run to the
    same result (docs/training.md).

    Args:
        model_factory: a callable returning an untrained model (named after
            its class), or a dict ``{name: callable}``.
        dataset: any data :func:`fit` accepts, with HR connectomes.
        folds (int): number of folds, ``2 <= folds <= S``. (default: :obj:`5`)
        seed (int): seeds the split, the models and training.
            (default: :obj:`0`)
        baselines (bool): also :class:`~torch_gsr.baselines.MeanHR` and
            :class:`~torch_gsr.baselines.RidgeRegression`. (default: :obj:`True`)
        protocol (str): ``'subject'`` or ``'challenge'`` metrics.
            (default: :obj:`'subject'`)
        topology (bool, str or sequence, optional): also the centrality
            errors, or the named measures' (:func:`evaluate_predictions`;
            :obj:`None`: the challenge protocol's). (default: :obj:`False`)
        progress (bool): report spectra, runs, epochs. (default: :obj:`True`)
        checkpoint_dir (str, optional): the folder of a resumable run
            (:mod:`~torch_gsr.train.cv_state`). (default: :obj:`None`)
        distributed (bool): train in all ``torchrun`` processes, rank 0
            writes. (default: :obj:`False`)
        groups (sequence, optional): group labels replacing the data's.
        split (str): how folds and validation hold groups out
            (:func:`kfold_indices`). (default: :obj:`'auto'`)
        gap (int): samples left out beside a held-out block. (default: :obj:`0`)
        fold_order (str): :func:`kfold_indices`'s. (default: :obj:`'seeded'`)
        fold_seed (int): its ``random_state``. (default: :obj:`42`)
        **fit_kwargs: passed to :func:`fit` (``epochs``, ``preset``, ...).

    Returns:
        CVResult
    """
    for reserved in ('checkpoint', 'resume', 'seed', 'progress', 'split', 'gap'):
        if reserved in fit_kwargs:
            raise ValueError(f"cross_validate sets fit's {reserved!r} itself "
                             f"(use checkpoint_dir / seed / progress / split / gap)")
    factories = _named_factories(model_factory)
    if distributed:
        dist.init_process_group(fit_kwargs.get('device'))
        progress = progress and dist.is_main_process()
    check_split(split, gap)
    data = ConnectomeTensors.from_data(dataset, groups)
    data.require_hr('cross_validate')
    test_folds = kfold_indices(data.num_subjects, folds, seed, data.groups, split,
                               fold_order, fold_seed)
    data = data.check()
    finished: Set[Tuple[str, int]] = set()
    if checkpoint_dir is not None:
        finished = cv_state.open_run(checkpoint_dir, _fingerprint(
            factories, data, folds=folds, seed=seed, baselines=baselines,
            protocol=protocol, topology=topology, fit_kwargs=fit_kwargs,
            # Only what differs from a run of independent subjects, so that
            # runs begun before groups existed still continue.
            **_dependence(data, split, gap),
            **({} if fold_order == 'seeded' else dict(fold_order=fold_order,
                                                      fold_seed=fold_seed))))
    fit_kwargs = dict(fit_kwargs, split=split, gap=gap)
    # Spectra once for every model and fold (the LR ones are cheap and
    # ignored by models that are not spectral); each fit casts to its model.
    data = data.with_spectra(progress=progress)
    fold_seeds = torch.randint(2 ** 62, (folds,),
                               generator=torch.Generator().manual_seed(seed))
    result = CVResult(subjects=list(data.subjects), test_indices=test_folds)
    methods = list(factories) + (list(BASELINES) if baselines else [])
    runs = Progress(folds * len(methods), 'cross-validation', enabled=progress,
                    every=0)
    for k in range(folds):
        is_test = torch.zeros(data.num_subjects, dtype=torch.bool)
        is_test[test_folds[k]] = True
        kept = training_part(split_units(data.group_index, split), is_test, gap)
        train = data.subset(kept.nonzero().view(-1))
        if k == 0:
            warn_if_near_copies(train, data.subset(test_folds[k]), 'test')
        test = data.subset(test_folds[k])
        # residual_pcc's reference: this fold's training-mean HR.
        reference = train.require_hr('training').double().mean(0).cpu()
        evaluate = functools.partial(evaluate_predictions,
                                     target=test.require_hr('testing').cpu(),
                                     protocol=protocol, topology=topology,
                                     progress=progress, reference=reference,
                                     seed=seed)
        for name in methods:
            run = (cv_state.load_result(checkpoint_dir, name, k, factories.get(name))
                   if checkpoint_dir is not None and (name, k) in finished else None)
            reused = run is not None
            if run is None:
                run = (_train_fold(factories[name], train, test, int(fold_seeds[k]),
                                   progress, checkpoint_dir and
                                   cv_state.checkpoint_path(checkpoint_dir, name, k),
                                   distributed, fit_kwargs)
                       if name in factories else _fit_baseline(name, train, test))
                run['evaluation'] = evaluate(run['prediction'])
                if checkpoint_dir is not None:
                    cv_state.save_result(checkpoint_dir, name, k, **run)
            _record(result, name, run)
            mae = run['evaluation'].summary['mae'][0]
            runs.step(f"fold {k + 1}/{folds} {name} done, test MAE {mae:.5g}"
                      f"{' (finished before, re-used)' if reused else ''}")
    runs.close()
    return result


def _train_fold(factory: Callable, train: ConnectomeTensors,
                test: ConnectomeTensors, seed: int, progress: bool,
                checkpoint: Optional[str], distributed: bool,
                fit_kwargs: dict) -> dict:
    torch.manual_seed(seed)
    model = factory()
    # A checkpoint left by an interrupted run is continued.
    resume = checkpoint if checkpoint and osp.isfile(checkpoint) else None
    history = fit(model, train, seed=seed, progress=progress,
                  checkpoint=checkpoint or None, resume=resume,
                  distributed=distributed, **fit_kwargs)
    return dict(prediction=predict(model, test), history=history,
                model=model.cpu())


def _fit_baseline(name: str, train: ConnectomeTensors,
                  test: ConnectomeTensors) -> dict:
    baseline = BASELINES[name]().fit(train.lr_adj, train.hr_adj, train.groups)
    return dict(prediction=baseline.predict(test.lr_adj).cpu(), history=None,
                model=None)


def _record(result: CVResult, name: str, run: dict) -> None:
    result.evaluations.setdefault(name, []).append(run['evaluation'])
    result.predictions.setdefault(name, []).append(run['prediction'])
    if run['history'] is not None:
        result.histories.setdefault(name, []).append(run['history'])
        result.models.setdefault(name, []).append(run['model'])
