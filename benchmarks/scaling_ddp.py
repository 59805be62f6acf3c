r"""Scaling of distributed training: subjects per second per epoch.

Run plainly, it launches ``torchrun`` once per configuration (processes x
threads per process) and prints a Markdown table::

    python benchmarks/scaling_ddp.py --configs 1x1,1x2,2x1

Under ``torchrun`` (what the driver starts) it trains GSR-Net with
``fit(..., distributed=True)`` on random connectomes and rank 0 prints one
JSON line: the subjects/s of every epoch after the first (warm-up).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import torch

RESULT_PREFIX = 'RESULT '


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', default='1x1,1x2,2x1',
                        help='comma-separated PROCESSESxTHREADS')
    parser.add_argument('--subjects', type=int, default=64)
    parser.add_argument('--lr-nodes', type=int, default=120)
    parser.add_argument('--hr-nodes', type=int, default=200)
    parser.add_argument('--batch-size', type=int, default=16,
                        help='global batch size')
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads per process (worker mode)')
    return parser.parse_args()


def random_pairs(args):
    gen = torch.Generator().manual_seed(0)
    lr = torch.rand(args.subjects, args.lr_nodes, args.lr_nodes, generator=gen)
    lr = (lr + lr.transpose(-1, -2)) / 2
    hr = torch.rand(args.subjects, args.hr_nodes, args.hr_nodes, generator=gen)
    hr = (hr + hr.transpose(-1, -2)) / 2
    for adj in (lr, hr):
        adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return lr, hr


def train_worker(args):
    r"""One torchrun process: train, and on rank 0 print the throughput."""
    from torch_gsr.distributed import destroy_process_group, is_main_process
    from torch_gsr.nn.models import GSRNet
    from torch_gsr.train import fit

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = GSRNet(args.lr_nodes, args.hr_nodes)
    history = fit(model, random_pairs(args), epochs=args.epochs, learning_rate=1e-3,
                  batch_size=args.batch_size, progress=False,
                  distributed=True)
    if is_main_process():
        rates = [args.subjects / t for t in history['time'][1:]]
        print(RESULT_PREFIX + json.dumps(rates), flush=True)
    destroy_process_group()


def run_config(processes: int, threads: int, args) -> list:
    r"""Launches one torchrun job and returns its per-epoch subjects/s."""
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               f'--nproc_per_node={processes}', __file__,
               f'--threads={threads}', f'--subjects={args.subjects}',
               f'--lr-nodes={args.lr_nodes}', f'--hr-nodes={args.hr_nodes}',
               f'--batch-size={args.batch_size}', f'--epochs={args.epochs}']
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(command, env=env, check=True, capture_output=True,
                         text=True).stdout
    line = next(line for line in out.splitlines()
                if line.startswith(RESULT_PREFIX))
    return json.loads(line[len(RESULT_PREFIX):])


def main():
    args = parse_args()
    if 'RANK' in os.environ:
        return train_worker(args)
    print(f'{args.subjects} subjects, {args.lr_nodes} -> {args.hr_nodes} '
          f'nodes, GSRNet, global batch {args.batch_size}, {args.epochs} '
          f'epochs (first dropped), CPU, torch {torch.__version__}\n')
    print('| processes x threads | subjects/s per epoch (median) | '
          'min - max | speed-up vs 1x1 |')
    print('|---|---|---|---|')
    baseline = None
    for config in args.configs.split(','):
        processes, threads = map(int, config.split('x'))
        rates = run_config(processes, threads, args)
        median = statistics.median(rates)
        baseline = baseline or median
        print(f'| {processes} x {threads} | {median:.1f} | {min(rates):.1f} - '
              f'{max(rates):.1f} | {median / baseline:.2f} |', flush=True)


if __name__ == '__main__':
    main()
