"""Seconds per training epoch of each model at 160 -> 268 (40 subjects,
batch 8, each model's recommended preset unless ``--preset``): one
optimiser step per batch of forward, loss and backward, the best of
``--repeats`` epochs after a warm-up one. Models without ``spectral`` get
no eigenvectors; spectral models get them precomputed (as ``fit`` does).

    python epoch_time.py --threads 1 --models GSRNet STPGSR
"""
import time

import torch
from common import parser, start, synchronize

from torch_gsr.nn import MODELS
from torch_gsr.utils import spectra


def epoch_seconds(model, lr_adj, hr_adj, batch_size, repeats, device) -> float:
    lr_vecs, hr_vecs = spectra(lr_adj, hr_adj) if model.spectral else (None, None)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(repeats + 1):
        began = time.perf_counter()
        for first in range(0, lr_adj.size(0), batch_size):
            part = slice(first, first + batch_size)
            out = model(lr_adj[part], None if lr_vecs is None else lr_vecs[part],
                        validate=False)
            loss = model.loss(out, hr_adj[part],
                              None if hr_vecs is None else hr_vecs[part],
                              validate=False)
            optimizer.zero_grad()
            loss.total.backward()
            optimizer.step()
        synchronize(device)
        times.append(time.perf_counter() - began)
    return min(times[1:])


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--models', nargs='+', default=['GSRNet', 'STPGSR'],
                      choices=list(MODELS))
    args.add_argument('--preset', default='recommended')
    args.add_argument('--subjects', type=int, default=40)
    args.add_argument('--batch-size', type=int, default=8)
    args.add_argument('--repeats', type=int, default=2)
    args = args.parse_args()
    device = start('seconds per epoch', args)
    gen = torch.Generator().manual_seed(args.seed)
    lr_adj = torch.rand(args.subjects, 160, 160, generator=gen)
    hr_adj = torch.rand(args.subjects, 268, 268, generator=gen)
    lr_adj, hr_adj = [((a + a.transpose(-1, -2)) / 2).to(device) for a in (lr_adj, hr_adj)]
    for name in args.models:
        torch.manual_seed(args.seed)
        model = MODELS[name](160, 268, preset=args.preset).to(device)
        model.initialize(lr_adj, hr_adj)
        seconds = epoch_seconds(model, lr_adj, hr_adj, args.batch_size,
                                args.repeats, device)
        print(f'{name:12s} {seconds:7.2f} s/epoch', flush=True)


if __name__ == '__main__':
    main()
