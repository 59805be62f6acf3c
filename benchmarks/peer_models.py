"""Peer models: cost of GSR-Net, AGSR-Net and STP-GSR, and STP-GSR's scaling.

Time per epoch and peak memory of GSR-Net and its successors AGSR-Net and
STP-GSR, and how STP-GSR's dual graph scales with the HR size:

1. ``models``: each model (``recommended`` preset, its batch size) trained by
   :func:`torch_gsr.train.fit` for ``--epochs`` epochs on ``--subjects``
   simulated subjects at ``--lr-nodes -> --hr-nodes``; the table gives the
   median epoch time after the first and the peak memory of the whole fit
   (data set up beforehand), each model in a fresh subprocess.
2. ``scaling``: one training step (forward, L1 loss, backward) of STP-GSR on
   a batch of ``--scaling-batch`` subjects of ``--scaling-lr-nodes`` LR
   nodes for each HR size in ``--hr-sizes``, with the dual graph's sparse
   message passing and with its exact structured form; peak memory and
   step time, each in a fresh subprocess. The sparse form's cached ``edge_index`` is built in the
   setup, so its 8 bytes x 2 x n(n-1)(n-2) are reported separately.

Peak memory as in ``common`` (peak RSS minus RSS before the work, on CPU).
"""
import statistics

import common
import torch

from torch_gsr.config import RECOMMENDED_FIT
from torch_gsr.nn import MODELS, STPGSR
from torch_gsr.nn.conv.line_graph_conv import complete_line_graph
from torch_gsr.train import fit


def fit_setup(name: str, subjects: int, lr_nodes: int, hr_nodes: int,
              epochs: int, seed: int):
    data = common.default_data(subjects, lr_nodes, hr_nodes, seed)
    torch.manual_seed(seed)
    model = MODELS[name](lr_nodes, hr_nodes)

    def work():
        history = fit(model, data, epochs=epochs, progress=False, seed=seed)
        return [record['time'] for record in history.records]
    return work


def step_setup(hr_nodes: int, lr_nodes: int, batch_size: int, structured: bool,
               seed: int):
    lr, hr = common.default_data(batch_size, lr_nodes, hr_nodes, seed)
    torch.manual_seed(seed)
    model = STPGSR(lr_nodes, hr_nodes, structured=structured)
    if not structured:
        complete_line_graph(hr_nodes)  # the shared cache, built once

    def work():
        times = common.repeat_timed(
            lambda: model.loss(model(lr), hr).total.backward(),
            torch.device('cpu'), repeats=2)
        return common.summary(times)[1]
    return work


def main():
    args = common.parser(__doc__.splitlines()[0])
    args.add_argument('--subjects', type=int, default=40)
    args.add_argument('--lr-nodes', type=int, default=160)
    args.add_argument('--hr-nodes', type=int, default=268)
    args.add_argument('--epochs', type=int, default=2)
    args.add_argument('--models', nargs='+', default=['GSRNet', 'AGSRNet', 'STPGSR'])
    args.add_argument('--hr-sizes', type=int, nargs='+', default=[100, 160, 200, 268, 320])
    args.add_argument('--scaling-batch', type=int, default=1)
    args.add_argument('--scaling-lr-nodes', type=int, default=100,
                      help='LR size of the scaling part (the same for every HR size)')
    args.add_argument('--parts', nargs='+', default=['models', 'scaling'])
    args = args.parse_args()
    device = common.start(__doc__.splitlines()[0], args)
    settings = common.settings(args)

    if 'models' in args.parts:
        batch = RECOMMENDED_FIT.batch_size
        rows = []
        for name in args.models:
            peak, times = common.in_fresh_process(
                fit_setup, (name, args.subjects, args.lr_nodes, args.hr_nodes,
                            args.epochs, args.seed), device, settings)
            steady = times[1:] or times
            rows.append((name, f'{args.lr_nodes} -> {args.hr_nodes}', batch,
                         statistics.median(steady), times[0], peak))
        print(f'## fit, {args.subjects} subjects, recommended preset\n')
        print(common.format_table(
            ['model', 'sizes', 'batch', 'epoch s (median after 1st)',
             '1st epoch s', 'peak MiB'], rows))
        print()

    if 'scaling' in args.parts:
        rows = []
        for hr_nodes in args.hr_sizes:
            lr_nodes = args.scaling_lr_nodes
            index_mib = 16 * hr_nodes * (hr_nodes - 1) * (hr_nodes - 2) / 2 ** 20
            for structured in (True, False):
                peak, seconds = common.in_fresh_process(
                    step_setup, (hr_nodes, lr_nodes, args.scaling_batch,
                                 structured, args.seed), device, settings)
                rows.append((f'{lr_nodes} -> {hr_nodes}',
                             'structured' if structured else 'sparse',
                             args.scaling_batch, seconds, peak,
                             0. if structured else index_mib))
        print(f'## STP-GSR training step, batch {args.scaling_batch}\n')
        print(common.format_table(
            ['sizes', 'dual graph', 'batch', 'step s (median of 2)', 'peak MiB',
             'cached edge_index MiB'], rows))


if __name__ == '__main__':
    main()
