"""Inference speed of a GSR-Net (160 -> 268) on the embedded default data:
``torch_gsr.train.predict`` and the ``GraphSuperResolution`` transform.

``predict`` is timed on the raw LR tensor (its LR spectra computed inside
the call, as a user calls it) and on data with cached spectra. The
transform is timed on single subjects (``ConnectomePair`` with cached
spectra, the dataset's ``AddSpectra`` pre-transform) and on one ``Batch``;
it also builds the sparse PyG view of every prediction. Model weights are
untrained (speed does not depend on them).
"""
from dataclasses import replace

import common
import torch
from torch_geometric.data import Batch

from torch_gsr.datasets import PairedConnectomes
from torch_gsr.train import ConnectomeTensors, predict
from torch_gsr.transforms import AddSpectra, GraphSuperResolution
from torch_gsr.utils.spectra import lr_eigvecs


def cached_tensors(lr: torch.Tensor) -> ConnectomeTensors:
    """``lr`` as :class:`ConnectomeTensors` with cached LR spectra."""
    data = ConnectomeTensors.from_data(lr)
    return replace(data, lr_eigvecs=lr_eigvecs(lr))


def main():
    args = common.parser(__doc__.split('\n')[0])
    args.add_argument('--subjects', type=int, default=common.DEFAULT_SUBJECTS)
    args.add_argument('--big-batch', type=int, default=256)
    args.add_argument('--repeats', type=int, default=3)
    args = args.parse_args()
    device = common.start('inference', args)

    lr, hr = common.default_data(args.subjects, seed=args.seed)
    model, _ = common.build(lr.size(-1), hr.size(-1), device, args.seed)
    model.eval()
    cached = cached_tensors(lr)
    pairs = PairedConnectomes.from_numpy(lr.numpy(), hr.numpy(),
                                         pre_transform=AddSpectra())
    singles = [pairs[i] for i in range(len(pairs))]
    big = Batch.from_data_list(singles[:args.big_batch])
    transform = GraphSuperResolution(model)

    cases = [
        ('predict, raw LR', 1, len(lr), lambda: predict(model, lr, batch_size=1, device=device)),
        ('predict, raw LR', args.big_batch, len(lr),
         lambda: predict(model, lr, batch_size=args.big_batch, device=device)),
        ('predict, cached spectra', 1, len(lr),
         lambda: predict(model, cached, batch_size=1, device=device)),
        ('predict, cached spectra', args.big_batch, len(lr),
         lambda: predict(model, cached, batch_size=args.big_batch, device=device)),
        ('GraphSuperResolution', 1, len(singles), lambda: [transform(d) for d in singles]),
        ('GraphSuperResolution', args.big_batch, big.num_graphs, lambda: transform(big)),
    ]
    times = [[] for _ in cases]
    for _ in range(args.repeats):
        for (_, _, _, fn), record in zip(cases, times, strict=True):
            record.append(common.timed(fn, device))
    rows = []
    for (name, batch, count, _), record in zip(cases, times, strict=True):
        best, median = common.summary(record)
        rows.append([name, batch, count, best, best / count * 1e3, count / best,
                     median / count * 1e3])
    print(f'best and median of {args.repeats} interleaved repeats (first included)')
    print()
    print(common.format_table(['path', 'B', 'subjects', 'best s', 'ms/subject',
                               'subjects/s', 'median ms/subject'], rows))


if __name__ == '__main__':
    main()
