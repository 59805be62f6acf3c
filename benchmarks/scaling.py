"""Training-step time and peak memory of GSR-Net against the graph size.

LR sizes 68, 160, 200, 400, 1000 with ``HR = round(1.7 LR)`` (padded to
``2 LR``), batch sizes 1 and 16. Each configuration runs in a fresh
subprocess: one warm-up step, then at least ``--steps`` timed steps and more
until they add up to ``--min-seconds`` (best reported);
peak memory covers all of them (see ``common``). Inputs are random symmetric
connectomes in ``[0, 1]`` with a unit diagonal, and the cached spectra of
the first subject are repeated across the batch (step cost does not depend
on the values; simulating and decomposing 16 subjects at 1000 -> 1700 would
dominate the run). The growth exponent is the least-squares slope of
log(time) (and log(memory)) against log(LR size).
"""
import common
import torch

from torch_gsr.utils import spectra

LR_SIZES = (68, 160, 200, 400, 1000)
HR_RATIO = 1.7


def random_connectomes(batch: int, nodes: int, device: torch.device) -> torch.Tensor:
    """``[B, N, N]`` symmetric, entries in ``[0, 1]``, unit diagonal."""
    adj = torch.rand(batch, nodes, nodes, device=device)
    adj = (adj + adj.transpose(-1, -2)) / 2
    return adj.diagonal_scatter(torch.ones(batch, nodes, device=device), dim1=-2, dim2=-1)


def step_setup(lr_nodes: int, batch: int, steps: int, min_seconds: float,
               device: str, seed: int):
    """Subprocess setup: model, optimiser, one batch and its spectra; returns
    the work (a warm-up step, then the timed steps; their seconds)."""
    device = torch.device(device)
    torch.manual_seed(seed)
    hr_nodes = round(HR_RATIO * lr_nodes)
    lr, hr = (random_connectomes(batch, n, device) for n in (lr_nodes, hr_nodes))
    model, optimizer = common.build(lr_nodes, hr_nodes, device, seed, batch)
    lr_vecs, hr_vecs = (v.expand(batch, -1, -1) for v in
                        spectra(lr[:1], hr[:1]))
    step = lambda: common.train_step(model, optimizer, lr, hr, lr_vecs, hr_vecs)
    return lambda: common.repeat_timed(step, device, steps, min_seconds=min_seconds)


def main():
    args = common.parser(__doc__.split('\n')[0])
    args.add_argument('--max-lr', type=int, default=max(LR_SIZES),
                      help='skip LR sizes above this')
    args.add_argument('--max-lr-batched', type=int, default=400,
                      help='skip batch-16 runs above this LR size')
    args.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 16])
    args.add_argument('--steps', type=int, default=2)
    args.add_argument('--min-seconds', type=float, default=3.)
    args = args.parse_args()
    device = common.start('scaling', args)

    rows, fits = [], []
    for batch in args.batch_sizes:
        limit = args.max_lr if batch == 1 else min(args.max_lr, args.max_lr_batched)
        sizes = [n for n in LR_SIZES if n <= limit]
        times, peaks = [], []
        for lr_nodes in sizes:
            peak, record = common.in_fresh_process(
                step_setup, (lr_nodes, batch, args.steps, args.min_seconds, str(device),
                             args.seed), device, common.settings(args))
            times.append(min(record))
            peaks.append(peak)
            rows.append([lr_nodes, round(HR_RATIO * lr_nodes), 2 * lr_nodes, batch,
                         times[-1] * 1e3, times[-1] * 1e3 / batch, peak])
            print(common.format_table(['LR', 'HR', 'padded', 'B', 'step ms',
                                       'ms/subject', 'peak MiB'], rows[-1:]), flush=True)
        if len(sizes) > 1:
            fits.append([batch, f'{sizes[0]}..{sizes[-1]}',
                         common.log_log_slope(sizes, times),
                         common.log_log_slope(sizes, peaks)])
    print()
    print(f'best of >= {args.steps} timed steps (>= {args.min_seconds} s) after '
          f'one warm-up, fresh process each')
    print()
    print(common.format_table(['LR', 'HR', 'padded', 'B', 'step ms', 'ms/subject',
                               'peak MiB'], rows))
    print()
    print(common.format_table(['B', 'LR sizes', 'time exponent', 'memory exponent'], fits))


if __name__ == '__main__':
    main()
