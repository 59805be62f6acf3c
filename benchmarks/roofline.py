"""Achieved GFLOP/s of a GSR-Net training step next to a plain large matmul.

The step's floating-point operations are counted from the shapes by
:func:`training_step_flops` (matrix products only; element-wise work, top-k
and the optimiser are not counted, so the achieved rate is a lower bound on
how busy the step keeps the machine). Step times (cached spectra) and the
matmul rate are measured interleaved in one process.
"""
import math
from typing import Sequence

import common
import torch

from torch_gsr.utils import spectra

MATMUL_SIZE = 2048


def matmul(m: int, k: int, n: int) -> int:
    """FLOPs of an ``[m, k] @ [k, n]`` product (one multiply and one add each)."""
    return 2 * m * k * n


def gcn_flops(nodes: int, in_channels: int, out_channels: int, identity: bool) -> int:
    """One GCN layer: ``X W`` (skipped for identity features) then ``A (X W)``."""
    return ((0 if identity else matmul(nodes, in_channels, out_channels))
            + matmul(nodes, nodes, out_channels))


def forward_flops(lr_nodes: int, hr_padded: int, hidden: int,
                  pool_ratios: Sequence[float]) -> int:
    r"""Matrix-product FLOPs of one subject's GSR-Net forward pass.

    With ``N = lr_nodes``, ``P = hr_padded`` and ``H = hidden`` (the
    U-Autoencoder's width is ``P``, as in :class:`torch_gsr.nn.GSRNet`):

    * U-Autoencoder: the first GCN on identity features (``N^2 P``); per
      pooling level with ``k_l = ceil(ratio_l k_{l-1})`` kept nodes, the
      scores (``k_{l-1} P``) and a down GCN (``k_l P^2 + k_l^2 P``); per
      level back up, an up GCN on ``k_{l-1}`` nodes;
    * GSR layer: ``U_0^T Z`` (``N^2 P``), ``(W S_d)(U_0^T Z)`` (``P N P``,
      ``S_d`` never materialised) and ``A A^T`` (``P^3``);
    * head: two GCNs on the ``P``-node graph, ``P -> H -> P``.

    Every term above is doubled (multiply and add).
    """
    flops = gcn_flops(lr_nodes, lr_nodes, hr_padded, identity=True)
    sizes = [lr_nodes]
    for ratio in pool_ratios:
        kept = math.ceil(ratio * sizes[-1])
        flops += matmul(sizes[-1], hr_padded, 1)
        flops += gcn_flops(kept, hr_padded, hr_padded, identity=False)
        sizes.append(kept)
    for nodes in reversed(sizes[:-1]):
        flops += gcn_flops(nodes, hr_padded, hr_padded, identity=False)
    flops += matmul(lr_nodes, lr_nodes, hr_padded)
    flops += matmul(hr_padded, lr_nodes, hr_padded)
    flops += matmul(hr_padded, hr_padded, hr_padded)
    flops += gcn_flops(hr_padded, hr_padded, hidden, identity=False)
    flops += gcn_flops(hr_padded, hidden, hr_padded, identity=False)
    return flops


def training_step_flops(lr_nodes: int, hr_padded: int, hidden: int,
                        pool_ratios: Sequence[float], batch: int) -> int:
    """FLOPs of one training step on ``batch`` subjects: forward plus a
    backward pass counted as twice the forward (two products per product:
    the gradients of both operands)."""
    return 3 * batch * forward_flops(lr_nodes, hr_padded, hidden, pool_ratios)


def step_setup(batch: int, device: torch.device, seed: int):
    """A seeded model, optimiser and one batch with cached spectra; returns
    a zero-argument training step."""
    lr, hr = (t.to(device) for t in common.default_data(batch, seed=seed))
    model, optimizer = common.build(lr.size(-1), hr.size(-1), device, seed, batch)
    lr_vecs, hr_vecs = spectra(lr, hr)
    step = lambda: common.train_step(model, optimizer, lr, hr, lr_vecs, hr_vecs)
    return model, step


def main():
    args = common.parser(__doc__.split('\n')[0])
    args.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 16, 64])
    args.add_argument('--repeats', type=int, default=5)
    args = args.parse_args()
    device = common.start('roofline', args)

    a = torch.randn(MATMUL_SIZE, MATMUL_SIZE, device=device)
    plain = lambda: torch.matmul(a, a)
    steps = [step_setup(b, device, args.seed) for b in args.batch_sizes]
    matmul_times, step_times = [], [[] for _ in steps]
    for _ in range(args.repeats + 1):
        matmul_times.append(common.timed(plain, device))
        for (_, step), record in zip(steps, step_times, strict=True):
            record.append(common.timed(step, device))
    matmul_rate = matmul(MATMUL_SIZE, MATMUL_SIZE, MATMUL_SIZE) / min(matmul_times[1:]) / 1e9

    rows = [[f'matmul {MATMUL_SIZE}^3', '-', '-', min(matmul_times[1:]) * 1e3,
             matmul_rate, 1.]]
    for batch, (model, _), record in zip(args.batch_sizes, steps, step_times, strict=True):
        flops = training_step_flops(model.lr_nodes, model.hr_padded,
                                    model.hidden_channels, model.config.pool_ratios, batch)
        best = min(record[1:])
        rows.append(['GSR-Net step', batch, flops / 1e9, best * 1e3,
                     flops / best / 1e9, flops / best / 1e9 / matmul_rate])
    print(f'best of {args.repeats} timed repeats after one warm-up, interleaved')
    print()
    print(common.format_table(['work', 'B', 'GFLOP', 'best ms', 'GFLOP/s',
                               'of matmul'], rows))


if __name__ == '__main__':
    main()
