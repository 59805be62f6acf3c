"""Shared pieces of the benchmarks: arguments, environment header, timing,
peak memory in a fresh subprocess, data, one training step, tables.

Peak memory: on CPU it is the process's peak resident set size during the
measured work minus its resident set size just before it, in a fresh
``spawn``-ed subprocess per configuration. The peak is the kernel's ``VmHWM``
(the counter behind ``resource.getrusage(...).ru_maxrss``), reset to the
current size after the setup phase by writing ``5`` to
``/proc/self/clear_refs``, so the setup (data simulation, eigendecompositions)
cannot hide the work's own peak. It counts everything the process touches
(tensors, allocator slack, libraries loaded lazily during the work), not only
tensors. On CUDA it is
``torch.cuda.max_memory_allocated`` after a reset at the same point.
"""
import argparse
import multiprocessing
import platform
import shlex
import statistics
import subprocess
import sys
import time
from typing import Callable, List, Sequence, Tuple

import torch

from torch_gsr.datasets import (
    RELEASE_GRAPHS,
    FMRIWindowConnectomes,
    clean_connectomes,
    dynamics_connectomes,
    release_graphs,
    smooth_field_connectomes,
    split_by_subject,
    synthetic_connectomes,
    wiring_connectomes,
)
from torch_gsr.metrics import interval_coverage, interval_width
from torch_gsr.nn import GSRNet

DEFAULT_SUBJECTS, DEFAULT_LR, DEFAULT_HR = 277, 160, 268
BASE_LR = 1e-4


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares."""
    args = argparse.ArgumentParser(description=description)
    args.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    args.add_argument('--seed', type=int, default=0)
    args.add_argument('--threads', type=int, default=torch.get_num_threads(),
                      help='torch intra-op threads (here and in subprocesses)')
    args.add_argument('--flush-denormal', action='store_true',
                      help='torch.set_flush_denormal(True) (CPU)')
    return args


def apply_settings(threads: int, flush_denormal: bool) -> None:
    """Thread count and denormal flushing, for this process."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(flush_denormal)


def command_line() -> str:
    """The exact command that is running, for the record."""
    return 'python ' + ' '.join(shlex.quote(arg) for arg in sys.argv)


def machine(device: torch.device) -> str:
    """CPU model (from ``lscpu``) and core count, or the CUDA device name."""
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    try:
        lscpu = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        model = next(line.split(':', 1)[1].strip() for line in lscpu.splitlines()
                     if line.startswith('Model name'))
    except (OSError, StopIteration):
        model = platform.processor() or 'unknown CPU'
    return f'{model}, {multiprocessing.cpu_count()} cores'


def settings(args: argparse.Namespace) -> tuple:
    """The process settings of :func:`apply_settings` chosen by ``args``."""
    return args.threads, args.flush_denormal


def start(title: str, args: argparse.Namespace) -> torch.device:
    """Applies the settings, prints the title, date, machine, torch version,
    settings and the exact command; returns the device."""
    apply_settings(*settings(args))
    device = torch.device(args.device)
    print(f'# {title}')
    print(f'date: {time.strftime("%Y-%m-%d %H:%M:%S %Z")}')
    print(f'machine: {machine(device)}')
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'flush denormal {args.flush_denormal}, device {device}')
    print(f'command: {command_line()}')
    print()
    return device


def synchronize(device: torch.device) -> None:
    """Waits for queued device work, so wall-clock times are complete."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds one call of ``fn`` takes (device work included)."""
    synchronize(device)
    began = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - began


def repeat_timed(fn: Callable[[], object], device: torch.device, repeats: int,
                 warmup: int = 1, min_seconds: float = 0.) -> List[float]:
    """Seconds of timed calls of ``fn`` after ``warmup`` untimed ones: at
    least ``repeats`` calls, more until they add up to ``min_seconds``."""
    for _ in range(warmup):
        fn()
    times = []
    while len(times) < repeats or sum(times) < min_seconds:
        times.append(timed(fn, device))
    return times


def summary(times: Sequence[float]) -> Tuple[float, float]:
    """``(best, median)`` of repeated timings."""
    return min(times), statistics.median(times)


def _status_mib(field: str) -> float:
    with open('/proc/self/status') as status:
        line = next(line for line in status if line.startswith(field + ':'))
    return int(line.split()[1]) / 1024.


def _reset_peak_rss() -> None:
    with open('/proc/self/clear_refs', 'w') as clear_refs:
        clear_refs.write('5')


def peak_rss(work: Callable[[], object]) -> Tuple[float, object]:
    """``(MiB, result)``: the growth of this process's resident set while
    ``work()`` runs (peak minus the size just before), and what it returned.
    Call it in a fresh process (:func:`in_fresh_process`), or see the
    benchmark's notes on what memory freed earlier may hide."""
    _reset_peak_rss()
    before = _status_mib('VmRSS')
    result = work()
    return _status_mib('VmHWM') - before, result


def _measure_child(queue, setup: Callable, args: tuple, device: str,
                   settings: tuple) -> None:
    apply_settings(*settings)
    device = torch.device(device)
    work = setup(*args)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        result = work()
        synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) / 2 ** 20
    else:
        peak, result = peak_rss(work)
    queue.put((peak, result))


def in_fresh_process(setup: Callable, args: tuple, device: torch.device,
                     settings: tuple) -> Tuple[float, object]:
    """Runs ``work = setup(*args)`` then ``work()`` in a fresh subprocess
    after ``apply_settings(*settings)``.

    ``setup`` must be a module-level function. Returns the peak memory of
    ``work()`` in MiB (see the module doc) and what ``work()`` returned.
    """
    context = multiprocessing.get_context('spawn')
    queue = context.Queue()
    child = context.Process(target=_measure_child,
                            args=(queue, setup, args, str(device), settings))
    child.start()
    peak, result = queue.get()
    child.join()
    return peak, result


def default_data(subjects: int = DEFAULT_SUBJECTS, lr_nodes: int = DEFAULT_LR,
                 hr_nodes: int = DEFAULT_HR, seed: int = 0
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The embedded default data: simulated ``(lr [S, N, N], hr [S, N_h, N_h])``."""
    lr, hr = synthetic_connectomes(subjects, lr_nodes, hr_nodes, seed, population_seed=seed)
    return torch.from_numpy(lr), torch.from_numpy(hr)


def split(num_subjects: int, test_fraction: float, seed: int
          ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded ``(train, test)`` subject indices."""
    order = torch.randperm(num_subjects, generator=torch.Generator().manual_seed(seed))
    num_test = round(test_fraction * num_subjects)
    return order[num_test:], order[:num_test]


def build(lr_nodes: int, hr_nodes: int, device: torch.device, seed: int,
          batch_size: int = 1, fused: bool = True):
    """A seeded GSR-Net with the paper's architecture as the measurements in
    RESULTS.md timed it: the ``paper`` preset before issue 19 (the package's
    generator, two levels; ``paper`` is now the released model, whose loss
    recomputes the eigen target every step) and its Adam optimiser (learning rate
    :func:`learning_rate` of ``batch_size``; ``fused`` as
    :func:`torch_gsr.train.fit` uses it, off for the released procedure)."""
    torch.manual_seed(seed)
    model = GSRNet(lr_nodes, hr_nodes, preset='paper', generator='gsr_net',
                   pool_ratios=(0.9, 0.7)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate(batch_size),
                                 fused=fused)
    return model, optimizer


def learning_rate(batch_size: int) -> float:
    r"""Square-root scaling from the paper's ``1e-4`` at batch size 1:
    ``1e-4 * sqrt(B)`` (the variance of the mean gradient falls as ``1/B``)."""
    return BASE_LR * batch_size ** 0.5


def train_step(model, optimizer, lr, hr, lr_vecs=None, hr_vecs=None) -> None:
    """One Adam step on a batch; spectra left ``None`` are recomputed by the
    model inside the step (the released procedure)."""
    loss = model.loss(model(lr, lr_vecs), hr, hr_vecs)
    optimizer.zero_grad()
    loss.total.backward()
    optimizer.step()


def format_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table; floats are printed with 4 significant digits."""
    cells = [[f'{c:.4g}' if isinstance(c, float) else str(c) for c in row]
             for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = lambda items: '| ' + ' | '.join(
        s.rjust(w) for s, w in zip(items, widths, strict=True)) + ' |'
    return '\n'.join([line(headers), line(['-' * w for w in widths]),
                      *(line(r) for r in cells)])


def log_log_slope(sizes: Sequence[float], values: Sequence[float]) -> float:
    """Least-squares slope of ``log(values)`` against ``log(sizes)``."""
    x = torch.tensor(sizes, dtype=torch.float64).log()
    y = torch.tensor(values, dtype=torch.float64).log()
    x, y = x - x.mean(), y - y.mean()
    return float((x * y).sum() / (x * x).sum())


# ------------------------------------------------ accuracy data sets --

GENERATORS = {'synthetic': synthetic_connectomes,
              'smooth_fields': smooth_field_connectomes,
              'wiring': wiring_connectomes,
              'dynamics': dynamics_connectomes}
#: The simulated sets of the STP-GSR and DEFEND/Bi-SR releases, by name.
RELEASE_SETS = list(RELEASE_GRAPHS)


def data_split(data: str, num_subjects: int, seed: int):
    r"""``(train, val or None, test)`` pairs of ``[S, N, N]`` tensors: the
    first 80% of a generator's subjects for training, or the real fMRI
    windows split by subject (``num_subjects`` unused). The releases' sets
    (:data:`RELEASE_SETS`) are cleaned as ``fit`` cleans its data (unit
    diagonal, absolute values), so that the scored targets are the trained ones."""
    if data == 'fmri':
        return fmri_split(seed)
    if data in RELEASE_SETS:
        lr, hr = map(clean_connectomes, release_graphs(data, num_subjects, seed))
    else:
        lr, hr = GENERATORS[data](num_subjects, seed=seed, population_seed=seed)
        lr, hr = torch.from_numpy(lr), torch.from_numpy(hr)
    k = int(0.8 * num_subjects)
    return (lr[:k], hr[:k]), None, (lr[k:], hr[k:])


#: The real fMRI windows' test and validation shares (of subjects).
FMRI_FRACTIONS = (0.25, 0.15)


def fmri_windows():
    r"""``(lr, hr, ids)``: the real fMRI windows as ``[S, N, N]`` tensors and
    their window ids."""
    data = FMRIWindowConnectomes()
    lr = torch.stack([pair.lr_adj[0] for pair in data])
    hr = torch.stack([pair.hr_adj[0] for pair in data])
    return lr, hr, [pair.subject for pair in data]


def fmri_split(seed: int):
    r"""The real fMRI windows split by subject (:data:`FMRI_FRACTIONS`)."""
    lr, hr, ids = fmri_windows()
    test, val, train = split_by_subject(ids, FMRI_FRACTIONS, seed)
    return (lr[train], hr[train]), (lr[val], hr[val]), (lr[test], hr[test])


def coverage_width(lower, upper, hr) -> Tuple[float, float]:
    r"""The share of true upper-triangle edges inside ``[lower, upper]`` and
    the intervals' mean width, over all subjects."""
    return (float(interval_coverage(lower, upper, hr).mean()),
            float(interval_width(lower, upper).mean()))
