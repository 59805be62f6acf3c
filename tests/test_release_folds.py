r"""The releases' cross-validation folds, reproduced without scikit-learn:
GSR-Net's ``KFold(5, shuffle=False)`` (demo.py:95) is
``fold_order='contiguous'``; STP-GSR's and DEFEND's ``KFold(3, shuffle=True,
random_state=42)`` is ``fold_order='shuffled'`` with ``fold_seed=42``."""
import numpy as np
import pytest
import torch

from torch_gsr.cli import build_parser
from torch_gsr.nn import GSRLayerOnly
from torch_gsr.train import cross_validate, kfold_indices

pytestmark = pytest.mark.usefixtures('one_thread')


def sklearn_kfold(num_samples, folds, random_state=None):
    r"""scikit-learn's KFold test folds as its documentation states them: the
    samples (permuted by ``RandomState(random_state)`` when shuffling), cut
    in order into folds of ``n // k`` samples, the first ``n % k`` folds one
    more; each fold's indices sorted (``split`` returns them through a mask)."""
    order = (np.arange(num_samples) if random_state is None
             else np.random.RandomState(random_state).permutation(num_samples))
    sizes = [num_samples // folds + (k < num_samples % folds) for k in range(folds)]
    bounds = np.cumsum([0] + sizes)
    return [np.sort(order[bounds[k]:bounds[k + 1]]) for k in range(folds)]


@pytest.mark.parametrize('num_samples,folds', [(10, 3), (11, 5), (277, 5), (7, 7)])
def test_contiguous_folds_are_kfold_without_shuffling(num_samples, folds):
    ours = kfold_indices(num_samples, folds, fold_order='contiguous')
    theirs = sklearn_kfold(num_samples, folds)
    assert [f.tolist() for f in ours] == [f.tolist() for f in theirs]
    # The first n % k folds take one sample more (sklearn's sizes).
    assert [len(f) for f in ours][:num_samples % folds] == \
        [num_samples // folds + 1] * (num_samples % folds)
    # split='blocks' of independent samples cuts the same contiguous folds.
    blocks = kfold_indices(num_samples, folds, split='blocks')
    assert [f.tolist() for f in blocks] == [f.tolist() for f in ours]


@pytest.mark.parametrize('num_samples,folds,seed', [(10, 3, 42), (50, 3, 42), (23, 4, 7)])
def test_shuffled_folds_are_kfold_with_shuffling(num_samples, folds, seed):
    ours = kfold_indices(num_samples, folds, seed=0, fold_order='shuffled', fold_seed=seed)
    theirs = sklearn_kfold(num_samples, folds, seed)
    assert [f.tolist() for f in ours] == [f.tolist() for f in theirs]
    # The package's seed does not move them; fold_seed does.
    again = kfold_indices(num_samples, folds, seed=5, fold_order='shuffled', fold_seed=seed)
    assert [f.tolist() for f in again] == [f.tolist() for f in ours]
    other = kfold_indices(num_samples, folds, fold_order='shuffled', fold_seed=seed + 1)
    assert [f.tolist() for f in other] != [f.tolist() for f in ours]


def test_shuffled_folds_of_the_releases_seed():
    # numpy's legacy RandomState(42).permutation(10), a stream numpy keeps
    # stable: [8, 1, 5, 0, 7, 2, 9, 4, 3, 6]; KFold(3) cuts it 4 + 3 + 3.
    folds = kfold_indices(10, 3, fold_order='shuffled', fold_seed=42)
    assert [f.tolist() for f in folds] == [[0, 1, 5, 8], [2, 7, 9], [3, 4, 6]]


def test_shuffled_folds_equal_scikit_learns_where_installed():
    model_selection = pytest.importorskip(
        'sklearn.model_selection', reason='scikit-learn is not installed here; '
        'the folds are checked against its documented algorithm above')
    for n, k in [(10, 3), (277, 5), (31, 3)]:
        for shuffle in (False, True):
            kf = model_selection.KFold(k, shuffle=shuffle, random_state=42 if shuffle else None)
            theirs = [test.tolist() for _, test in kf.split(np.zeros(n))]
            ours = kfold_indices(n, k, fold_order='shuffled' if shuffle else 'contiguous')
            assert [f.tolist() for f in ours] == theirs


@pytest.mark.parametrize('kwargs,message', [
    (dict(fold_order='sklearn'), 'fold_order must be one of'),
    (dict(fold_order='shuffled', fold_seed=-1), 'fold_seed'),
    (dict(fold_order='contiguous', groups=[0, 0, 1, 1, 2, 2]), 'split groups apart'),
])
def test_bad_fold_orders_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        kfold_indices(6, 3, **kwargs)


def test_cross_validate_and_the_cli_take_the_release_folds():
    gen = torch.Generator().manual_seed(0)
    lr = torch.rand(7, 4, 4, generator=gen, dtype=torch.float64)
    hr = torch.rand(7, 6, 6, generator=gen, dtype=torch.float64)
    lr, hr = (lr + lr.mT) / 2, (hr + hr.mT) / 2
    result = cross_validate(lambda: GSRLayerOnly(4, 6), (lr, hr), folds=3, epochs=1,
                            progress=False, baselines=False, fold_order='contiguous')
    assert [f.tolist() for f in result.test_indices] == [[0, 1, 2], [3, 4], [5, 6]]
    args = build_parser().parse_args(['cv', '--fold-order', 'shuffled', '--fold-seed', '3'])
    assert (args.fold_order, args.fold_seed) == ('shuffled', 3)
    assert build_parser().parse_args(['cv']).fold_order == 'seeded'
