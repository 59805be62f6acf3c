"""Time and peak memory of one GCN layer, dense against sparse, over graph
size and density.

One :class:`~torch_gsr.nn.ConnectomeGCNConv` step (forward, normalisation
included, and backward) on a ``[1, N, N]`` dense adjacency against the same
step of :class:`~torch_gsr.nn.SparseConnectomeGCNConv` on the same graph
given as ``edge_index``/``edge_weight`` (message passing: gather, weight,
scatter-add) and as a ``torch.sparse`` CSR matrix (one ``spmm``). Graphs:
random symmetric weights in ``[0, 1]`` on a fraction ``density`` of the
node pairs; ``--channels`` input and output features. One warm-up step,
then ``repeats`` timed steps (fewer for big graphs), best and median.

Memory: the growth of the resident set during the timed steps
(``common.peak_rss``). Every size runs in a fresh subprocess, its
configurations one after the other, with glibc's mmap threshold fixed at
64 KiB (``MALLOC_MMAP_THRESHOLD_``) so that every tensor of a finished
configuration is handed back to the OS and cannot hide the next one's peak.
The dense step does not depend on the density (it runs once per size).

Then the whole model: one training step (forward, loss, backward, Adam) of
GSRNet (``recommended`` preset) at LR sizes ``--model-sizes`` (HR ``1.7 N``),
batch 1, with the dense encoder and with ``lr_top_k=--top-k``, each in a
fresh subprocess (``common.in_fresh_process``); best of 2 steps after a
warm-up, and the peak memory of all three.
"""
import gc
import os
from functools import partial

import common
import torch

from torch_gsr.nn import ConnectomeGCNConv, GSRNet, SparseConnectomeGCNConv
from torch_gsr.utils import sparse_view

SIZES = (160, 500, 1000, 2000, 4000)
DENSITIES = (0.01, 0.05, 0.10)
METHODS = ('dense', 'edge_index', 'csr')


def repeats_for(nodes: int) -> int:
    """Fewer repetitions for big graphs, so the run stays a few minutes."""
    return 10 if nodes <= 500 else 5 if nodes <= 1000 else 3 if nodes <= 2000 else 2


def random_graph(nodes: int, density: float, seed: int) -> torch.Tensor:
    """``[N, N]`` symmetric, ``density`` of the off-diagonal pairs weighted
    in ``[0, 1]``, unit diagonal."""
    gen = torch.Generator().manual_seed(seed)
    upper = (torch.rand(nodes, nodes, generator=gen) < density).triu(1)
    adj = torch.rand(nodes, nodes, generator=gen) * upper
    return adj + adj.T + torch.eye(nodes)


def layer_step(method: str, adj: torch.Tensor, channels: int):
    """One forward and backward step of the method's layer on ``adj``."""
    nodes = adj.size(0)
    x = torch.randn(nodes, channels)
    if method == 'dense':
        conv, graph = ConnectomeGCNConv(channels, channels), (adj.unsqueeze(0),)
        return lambda: conv(x.unsqueeze(0), *graph).sum().backward()
    conv = SparseConnectomeGCNConv(channels, channels)
    edge_index, edge_weight = sparse_view(adj)
    if method == 'csr':
        # sparse_view lists edges row by row, so the row pointer is a cumsum.
        counts = torch.bincount(edge_index[0], minlength=nodes)
        crow = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
        graph = (torch.sparse_csr_tensor(crow, edge_index[1], edge_weight,
                                         (nodes, nodes)),)
    else:
        graph = (edge_index, edge_weight)
    return lambda: conv(x, *graph).sum().backward()


def size_setup(nodes: int, densities, channels: int, seed: int):
    """Subprocess setup; the work measures every configuration of one size
    and returns their ``(method, density, best s, median s, MiB)``."""
    def work():
        rows, device = [], torch.device('cpu')
        for method in METHODS:  # load every kernel's libraries before measuring
            layer_step(method, random_graph(50, 0.1, seed), channels)()
        for density in densities:
            for method in METHODS:
                if method == 'dense' and density != densities[0]:
                    continue
                torch.manual_seed(seed)
                step = layer_step(method, random_graph(nodes, density, seed), channels)
                gc.collect()
                peak, times = common.peak_rss(
                    partial(common.repeat_timed, step, device, repeats_for(nodes)))
                rows.append((method, density, *common.summary(times), peak))
                del step
        return rows
    return work


def model_setup(lr_nodes: int, lr_top_k, seed: int):
    """Subprocess setup: GSRNet, Adam and one random subject; returns the
    work (a warm-up step and two timed ones; their seconds)."""
    torch.manual_seed(seed)
    hr_nodes = round(1.7 * lr_nodes)
    lr = random_graph(lr_nodes, 1., seed).clamp(max=1).unsqueeze(0)
    hr = random_graph(hr_nodes, 1., seed).clamp(max=1).unsqueeze(0)
    model = GSRNet(lr_nodes, hr_nodes, lr_top_k=lr_top_k)
    optimizer = torch.optim.Adam(model.parameters())
    step = lambda: common.train_step(model, optimizer, lr, hr)
    return lambda: common.repeat_timed(step, torch.device('cpu'), 2)


def model_rows(args) -> list:
    rows = []
    for nodes in args.model_sizes:
        cells = [nodes]
        for top_k in (None, args.top_k):
            peak, times = common.in_fresh_process(model_setup, (nodes, top_k, args.seed),
                                                  torch.device('cpu'), common.settings(args))
            cells.append(f'{min(times):.3g} / {peak:.4g}')
        rows.append(cells)
        print(f'GSRNet LR={nodes} done', flush=True)
    return rows


def main():
    args = common.parser(__doc__.split('\n')[0])
    args.add_argument('--sizes', type=int, nargs='+', default=list(SIZES))
    args.add_argument('--densities', type=float, nargs='+', default=list(DENSITIES))
    args.add_argument('--channels', type=int, default=64)
    args.add_argument('--model-sizes', type=int, nargs='*', default=[500, 1000])
    args.add_argument('--top-k', type=int, default=10, help="GSRNet's lr_top_k")
    args = args.parse_args()
    device = common.start('sparse vs dense GCN layer', args)
    if device.type != 'cpu':
        raise SystemExit('this benchmark runs on CPU only')
    os.environ['MALLOC_MMAP_THRESHOLD_'] = str(64 * 1024)  # read by the children

    rows = []
    for nodes in args.sizes:
        _, results = common.in_fresh_process(
            size_setup, (nodes, args.densities, args.channels, args.seed),
            device, common.settings(args))
        dense = next(r for r in results if r[0] == 'dense')
        for density in args.densities:
            cells = [nodes, f'{density:.0%}', f'{1e3 * dense[2]:.3g} / {dense[4]:.3g}']
            for method in METHODS[1:]:
                _, _, best, median, peak = next(
                    r for r in results if r[:2] == (method, density))
                cells += [f'{1e3 * best:.3g} / {peak:.3g}',
                          f'{dense[2] / best:.2g}x / {dense[4] / max(peak, 0.1):.2g}x']
            rows.append(cells)
        print(f'N={nodes} done', flush=True)
    print()
    print('cells: best ms / peak MiB; ratios: dense over sparse (> 1: sparse wins)')
    print(common.format_table(
        ['N', 'density', 'dense', 'edge_index', 'vs dense', 'csr', 'vs dense'], rows))
    if args.model_sizes:
        rows = model_rows(args)
        print()
        print('GSRNet training step, batch 1: best s / peak MiB')
        print(common.format_table(['LR N', 'dense encoder', f'lr_top_k={args.top_k}'], rows))


if __name__ == '__main__':
    main()
