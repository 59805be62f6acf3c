"""Training throughput (subjects/s per epoch), peak memory and test MSE of
GSR-Net on the embedded default data (160 -> 268 nodes, padded to 320).

Configurations, each from the same seeded initial weights:

* ``reference``: the released procedure with torch_gsr's own layers: batch
  size 1, the eigendecompositions of the normalised LR adjacency and of the
  padded HR adjacency recomputed inside every step, plain Adam;
* ``cached B=1``: torch_gsr at batch size 1 with the spectra computed once
  and the fused Adam that :func:`torch_gsr.train.fit` uses;
* ``cached B=8/32/64``: batched steps, learning rate ``1e-4 * sqrt(B)``.

The epochs of all configurations are interleaved (epoch 1 of each, then
epoch 2 of each, ...) in one process, so machine load hits all alike; each
configuration keeps training its own model, and the test MSE (unpadded HR
prediction against the target, held-out subjects) is read after the last
epoch. The one-off cost of caching the spectra of the training set is
reported separately. Peak memory: a few steps of each configuration in a
fresh subprocess (see ``common``).
"""
import functools

import common
import torch

from torch_gsr.utils import spectra

MEMORY_STEPS = 3


def configurations(batch_sizes):
    """``(name, batch size, cached spectra)`` of every configuration."""
    return ([('reference', 1, False), ('cached B=1', 1, True)]
            + [(f'cached B={b}', b, True) for b in batch_sizes])


def run_epoch(model, optimizer, data, batch_size, cached, generator) -> None:
    """One shuffled epoch over ``data = (lr, hr, lr_vecs, hr_vecs)``."""
    lr, hr, lr_vecs, hr_vecs = data
    for index in torch.randperm(lr.size(0), generator=generator).split(batch_size):
        index = index.to(lr.device)
        if cached:
            common.train_step(model, optimizer, lr[index], hr[index],
                              lr_vecs[index], hr_vecs[index])
        else:
            common.train_step(model, optimizer, lr[index], hr[index])


@torch.no_grad()
def test_mse(model, lr, hr, lr_vecs) -> float:
    """MSE of the unpadded predictions of ``model`` on held-out subjects."""
    model.eval()
    pred = torch.cat([model(lr[i:i + 64], lr_vecs[i:i + 64]).hr_adj
                      for i in range(0, lr.size(0), 64)])
    model.train()
    return float(torch.nn.functional.mse_loss(pred, hr))


def memory_setup(batch_size: int, cached: bool, device: str, seed: int):
    """Subprocess setup: a model, optimiser and one batch; returns the work
    (``MEMORY_STEPS`` training steps)."""
    device = torch.device(device)
    lr, hr = (t.to(device) for t in common.default_data(batch_size, seed=seed))
    model, optimizer = common.build(lr.size(-1), hr.size(-1), device, seed, batch_size,
                                    fused=cached)
    lr_vecs, hr_vecs = (spectra(lr, hr) if cached
                        else (None, None))

    def work():
        for _ in range(MEMORY_STEPS):
            common.train_step(model, optimizer, lr, hr, lr_vecs, hr_vecs)
    return work


def main():
    args = common.parser(__doc__.split('\n')[0])
    args.add_argument('--subjects', type=int, default=common.DEFAULT_SUBJECTS)
    args.add_argument('--epochs', type=int, default=3)
    args.add_argument('--batch-sizes', type=int, nargs='+', default=[8, 32, 64])
    args.add_argument('--test-fraction', type=float, default=0.2)
    args = args.parse_args()
    device = common.start('train_throughput', args)

    lr, hr = (t.to(device) for t in common.default_data(args.subjects, seed=args.seed))
    train, test = common.split(lr.size(0), args.test_fraction, args.seed)
    configs = configurations(args.batch_sizes)
    runs = [common.build(lr.size(-1), hr.size(-1), device, args.seed, b, fused=cached)
            for _, b, cached in configs]
    hr_padded = runs[0][0].hr_padded
    cache_time = common.timed(lambda: spectra(lr, hr), device)
    lr_vecs, hr_vecs = spectra(lr, hr)
    train_data = (lr[train], hr[train], lr_vecs[train], hr_vecs[train])

    times = [[] for _ in configs]
    for epoch in range(args.epochs):
        for (_, batch, cached), (model, optimizer), record in zip(configs, runs, times,
                                                                  strict=True):
            generator = torch.Generator().manual_seed(args.seed + epoch)
            record.append(common.timed(functools.partial(
                run_epoch, model, optimizer, train_data, batch, cached, generator), device))

    num_train = train.numel()
    ref_rate = num_train / min(times[0])
    rows = []
    for (name, batch, cached), (model, _), record in zip(configs, runs, times, strict=True):
        best, median = common.summary(record)
        peak, _ = common.in_fresh_process(memory_setup, (batch, cached, str(device), args.seed),
                                          device, common.settings(args))
        mse = test_mse(model, lr[test], hr[test], lr_vecs[test])
        rows.append([name, batch, f'{common.learning_rate(batch):.2e}', best, median,
                     num_train / best, num_train / best / ref_rate, peak, mse])
    print(f'{num_train} training / {test.numel()} test subjects, '
          f'{lr.size(-1)} -> {hr.size(-1)} (padded {hr_padded}), {args.epochs} '
          f'interleaved epochs per configuration; learning rate 1e-4 * sqrt(B)')
    print(f'one-off spectra cache for all {lr.size(0)} subjects: {cache_time:.3g} s')
    print()
    print(common.format_table(
        ['config', 'B', 'lr', 'best epoch s', 'median epoch s', 'subjects/s',
         'x reference', f'peak MiB ({MEMORY_STEPS} steps)',
         f'test MSE after {args.epochs} ep'], rows))


if __name__ == '__main__':
    main()
