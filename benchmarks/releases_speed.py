"""Training speed and memory of the package's `paper` models against their
official releases (``../shared/official``), with the same weights.

For each pair of :data:`PAIRS` at ``--lr-nodes -> --hr-nodes`` (default
160 -> 268), batch 1, ``--threads`` torch threads:

- **build**: seconds to construct the model (the release's STP-GSR builds its
  dual graph in its constructor; ``dual graph`` times that part alone,
  ``src/dual_graph_utils.create_dual_graph`` on the complete HR graph;
  DEFEND's release builder here includes its ``create_dual_graph``);
- **step**: one training step (forward, L1 loss, backward, Adam step) in
  training mode (attention dropout on), the median of ``--repeats`` steps
  after a warm-up one, package and release alternating, in this process:
  wall-clock seconds and CPU seconds (``time.process_time``, all threads;
  less sensitive to other jobs on the machine, though waiting threads may
  spin);
- **peak MiB**: the growth of a fresh ``spawn``-ed process's resident set
  (kernel ``VmHWM``, reset after the setup; ``benchmarks/common.py``) during
  one training step after a warm-up step (``step``), and during the
  model's construction (``build``): everything the process touches, not
  only tensors;
- **agree**: the largest difference between the two models' predictions in
  evaluation mode (float32, one subject), on the entries the release
  predicts; the script fails if it exceeds ``--tolerance`` (1e-4).

Then seconds per epoch of each package model with its ``paper`` and
``recommended`` fit presets (batch size and gradient accumulation of
``Model.fit_presets``; ``--epoch-subjects`` random subjects), and as a
multiple of GSRNet's with the same preset. Release inputs are built by the
release's own ``create_pyg_graph`` (not timed).

    python releases_speed.py --threads 2

``--models`` picks pairs: ``BiSR`` and ``DEFEND`` are the ``paper``
models (initialiser ``linear_algebraic``), ``-bi_lc`` / ``-bi_mp`` the
other released initialisers; DEFEND's release builds its dual graph
(``data/utils.create_dual_graph``) as part of the build. A new pair is one
:class:`Pair` entry: the package builder, the release builder, the weight
copier and the two prediction views.
"""
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from common import format_table, in_fresh_process, parser, settings, start

from torch_gsr.nn import DEFEND, MODELS, STPGSR, BiSR, DirectSR
from torch_gsr.nn.conv.line_graph_conv import matrix_to_edges
from torch_gsr.utils import spectra

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))
from official import release_weights as weights  # noqa: E402
from official import releases  # noqa: E402


@dataclass(frozen=True)
class Pair:
    r"""A package model and its release. ``package(lr, hr)`` and
    ``release(lr, hr)`` build them (the release with whatever it builds
    before training, e.g. a dual graph), ``copy(package, release)`` copies
    the weights, ``release_forward(release, graph, hr_adj)`` gives the
    release's ``(prediction, target)`` of one subject (its L1 loss is the
    training loss), and the views give the comparable predictions.
    ``input_module`` of the release holds its ``create_pyg_graph``."""
    release_name: str
    input_module: str
    package: Callable
    release: Callable
    copy: Callable
    release_forward: Callable
    package_view: Callable
    release_view: Callable


def stp_release(lr_nodes, hr_nodes):
    module = releases.release_module('stp-gsr', 'src.models.stp_gsr')
    return module.STPGSR(weights.stp_config(lr_nodes, hr_nodes))


def direct_sr_release(lr_nodes, hr_nodes):
    module = releases.release_module('stp-gsr', 'src.models.direct_sr')
    return module.DirectSR(weights.direct_sr_config(lr_nodes, hr_nodes))


def defend_release(initializer):
    r"""The release's DEFEND (``load_dual_model``) with ``initializer``;
    its dual graph (``create_dual_graph`` on the complete HR graph, which
    the release's training script builds once) is part of the build."""
    def build(lr_nodes, hr_nodes):
        dual_sr = releases.release_module('defend', 'models.dual_sr')
        config = weights.defend_config(lr_nodes, hr_nodes, initializer)
        model = dual_sr.load_dual_model(config, hr_embeddings(config))
        utils = releases.release_module('defend', 'data.utils')
        model.dual_edge_index = utils.create_dual_graph(torch.ones(hr_nodes, hr_nodes))[0]
        return model
    return build


def bi_sr_release(initializer):
    r"""The release's Bi-SR (``load_bi_sr_model``) with ``initializer``."""
    def build(lr_nodes, hr_nodes):
        config = weights.defend_config(lr_nodes, hr_nodes, initializer)
        bi_sr = releases.release_module('defend', 'models.bi_sr')
        return bi_sr.load_bi_sr_model(config, hr_embeddings(config))
    return build


def hr_embeddings(config):
    r"""``bi_mp``'s fixed HR node embeddings (runs/brain/main.py:24), to be
    replaced by the package's (``load_into``)."""
    if config.model.sr_method != 'bi_mp':
        return None
    return torch.randn(config.data.n_target_nodes,
                       config.model.hidden_dim * config.model.num_heads)


def predict_and_target(model, graph, hr_adj):
    r"""STP-GSR's and DirectSR's releases return both (src/train.py:104-109)."""
    return model(graph, hr_adj)


def defend_forward(model, graph, hr_adj):
    r"""DEFEND's release: the dual graph's node values against the HR upper
    triangle (runs/brain/main.py)."""
    utils = releases.release_module('defend', 'data.utils')
    return model(graph, model.dual_edge_index), utils.create_dual_graph_feature_matrix(hr_adj)


def bi_sr_forward(model, graph, hr_adj):
    r"""Bi-SR's release: the whole matrix against the HR matrix with a zero
    diagonal (data/connectomes.py:22-24)."""
    return model(graph), hr_adj - torch.diag(hr_adj.diagonal())


def paper(cls, **options):
    r"""``cls(lr_nodes, hr_nodes, preset='paper', **options)`` (the preset
    may be changed for the epochs)."""
    return lambda n, m, preset='paper': cls(n, m, preset=preset, **options)


def edges(out):
    return matrix_to_edges(out.hr_adj)[0]


def defend_pair(initializer):
    return Pair('defend', 'data.utils', paper(DEFEND, initializer=initializer),
                defend_release(initializer), weights.copy_bi_sr, defend_forward,
                edges, lambda pred: pred.squeeze(-1))


def bi_sr_pair(initializer):
    return Pair('defend', 'data.utils', paper(BiSR, initializer=initializer),
                bi_sr_release(initializer), weights.copy_bi_sr, bi_sr_forward,
                lambda out: out.a_hr[0], lambda pred: pred)


#: Bi-SR's and DEFEND's ``paper`` initialiser is ``linear_algebraic``
#: (configs/brain.py); the others are the release's ``sr_method`` options.
PAIRS = {
    'STPGSR': Pair('stp-gsr', 'src.dataset', paper(STPGSR), stp_release, weights.copy_stp,
                   predict_and_target, edges, lambda pred: pred.squeeze(-1)),
    'DirectSR': Pair('stp-gsr', 'src.dataset', paper(DirectSR), direct_sr_release,
                     weights.copy_direct_sr, predict_and_target,
                     lambda out: out.a_hr[0], lambda pred: pred),
    'BiSR': bi_sr_pair('linear_algebraic'),
    'BiSR-bi_lc': bi_sr_pair('bi_lc'),
    'BiSR-bi_mp': bi_sr_pair('bi_mp'),
    'DEFEND': defend_pair('linear_algebraic'),
    'DEFEND-bi_lc': defend_pair('bi_lc'),
    'DEFEND-bi_mp': defend_pair('bi_mp'),
}


def subject(lr_nodes, hr_nodes, seed):
    r"""One random symmetric LR and HR connectome, ``[1, N, N]``."""
    gen = torch.Generator().manual_seed(seed)
    lr_adj, hr_adj = (torch.rand(1, n, n, generator=gen) for n in (lr_nodes, hr_nodes))
    return [(a + a.transpose(-1, -2)) / 2 for a in (lr_adj, hr_adj)]


def release_graph(pair, lr_adj):
    dataset = releases.release_module(pair.release_name, pair.input_module)
    return dataset.create_pyg_graph(lr_adj[0], lr_adj.size(-1))


def step_function(side, model, lr_adj, hr_adj, pair):
    r"""One training step of ``model`` (``side``: 'package' or 'release')."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    if side == 'package':
        def step():
            optimizer.zero_grad()
            out = model(lr_adj, validate=False)
            model.loss(out, hr_adj, validate=False).total.backward()
            optimizer.step()
        return step
    graph = release_graph(pair, lr_adj)

    def step():
        optimizer.zero_grad()
        pred, target = pair.release_forward(model, graph, hr_adj[0])
        F.l1_loss(pred, target).backward()
        optimizer.step()
    return step


def step_setup(name, side, lr_nodes, hr_nodes, seed, official):
    r"""Subprocess setup (:func:`in_fresh_process`): the model, its data and
    a warm-up step; the work is one more step."""
    releases.OFFICIAL = Path(official)
    pair = PAIRS[name]
    torch.manual_seed(seed)
    model = pair.package(lr_nodes, hr_nodes) if side == 'package' else \
        pair.release(lr_nodes, hr_nodes)
    step = step_function(side, model, *subject(lr_nodes, hr_nodes, seed), pair)
    step()
    return step


def build_setup(name, side, lr_nodes, hr_nodes, seed, official):
    r"""Subprocess setup: the release module imported; the work builds the
    model."""
    releases.OFFICIAL = Path(official)
    pair = PAIRS[name]
    builder = pair.package if side == 'package' else pair.release
    if side == 'release':
        releases.release_module(pair.release_name, pair.input_module)
    torch.manual_seed(seed)

    def build():
        builder(lr_nodes, hr_nodes)
    return build


def timed(fn):
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def wall_and_cpu(fn):
    began, began_cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - began, time.process_time() - began_cpu


def agreement(pair, package, release, lr_adj, hr_adj) -> float:
    r"""Largest |package - release| prediction in evaluation mode."""
    package.eval(), release.eval()
    with torch.no_grad():
        ours = pair.package_view(package(lr_adj))
        pred, _ = pair.release_forward(release, release_graph(pair, lr_adj), hr_adj[0])
    return (ours - pair.release_view(pred)).abs().max().item()


def dual_graph_seconds(hr_nodes: int) -> float:
    utils = releases.release_module('stp-gsr', 'src.dual_graph_utils')
    return timed(lambda: utils.create_dual_graph(torch.ones(hr_nodes, hr_nodes)))[0]


def compare(name, args, device) -> list:
    r"""The rows of one pair: build, step, peaks, agreement."""
    pair, n, m = PAIRS[name], args.lr_nodes, args.hr_nodes
    pair.package(4, 8), pair.release(4, 8)  # imports and lazy initialisation
    torch.manual_seed(args.seed)
    build = {}
    build['package'], package = timed(lambda: pair.package(n, m))
    build['release'], release = timed(lambda: pair.release(n, m))
    pair.copy(package, release)
    lr_adj, hr_adj = subject(n, m, args.seed)
    agree = agreement(pair, package, release, lr_adj, hr_adj)
    steps = {side: step_function(side, model, lr_adj, hr_adj, pair)
             for side, model in (('package', package), ('release', release))}
    times = {side: [] for side in steps}
    for _ in range(args.repeats + 1):
        for side, step in steps.items():
            times[side].append(wall_and_cpu(step))
    step_s = {side: statistics.median(wall for wall, _ in t[1:]) for side, t in times.items()}
    cpu_s = {side: statistics.median(cpu for _, cpu in t[1:]) for side, t in times.items()}
    peak = {(kind, side): in_fresh_process(
        setup, (name, side, n, m, args.seed, str(releases.OFFICIAL)), device,
        settings(args))[0]
        for kind, setup in (('step', step_setup), ('build', build_setup))
        for side in ('package', 'release')}
    return [[name, side, f'{build[side]:.2f}', f'{step_s[side]:.3f}', f'{cpu_s[side]:.3f}',
             f'{peak["step", side]:.0f}', f'{peak["build", side]:.0f}']
            for side in ('package', 'release')] + \
        [[name, 'release / package', f'{build["release"] / build["package"]:.1f}x',
          f'{step_s["release"] / step_s["package"]:.2f}x',
          f'{cpu_s["release"] / cpu_s["package"]:.2f}x',
          f'{peak["step", "release"] / max(peak["step", "package"], 1):.1f}x',
          f'{peak["build", "release"] / max(peak["build", "package"], 1):.0f}x'],
         [name, f'max |diff| (eval) {agree:.1e}', agrees(name, agree, args), '', '', '', '']]


def agrees(name, agree, args) -> str:
    r"""Whether the predictions agree within ``--tolerance``; a pair that
    does not is noted in ``args.disagree`` (the script then fails)."""
    if agree <= args.tolerance:
        return f'<= {args.tolerance:.0e}'
    args.disagree.append(name)
    return f'OVER {args.tolerance:.0e}'


def epoch_seconds(model, lr_adj, hr_adj, preset) -> float:
    r"""One epoch of ``model`` with its fit preset's batch size and
    accumulation (Adam; eigenvectors precomputed, as ``fit`` does)."""
    config = type(model).fit_presets[preset]
    lr_vecs, hr_vecs = spectra(lr_adj, hr_adj) if model.spectral else (None, None)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    began = time.perf_counter()
    for index, first in enumerate(range(0, lr_adj.size(0), config.batch_size)):
        part = slice(first, first + config.batch_size)
        out = model(lr_adj[part], None if lr_vecs is None else lr_vecs[part], validate=False)
        model.loss(out, hr_adj[part], None if hr_vecs is None else hr_vecs[part],
                   validate=False).total.backward()
        if (index + 1) % config.accumulate == 0:
            optimizer.step()
            optimizer.zero_grad()
    return time.perf_counter() - began


def epochs(args) -> list:
    gen = torch.Generator().manual_seed(args.seed)
    lr_adj, hr_adj = (torch.rand(args.epoch_subjects, n, n, generator=gen)
                      for n in (args.lr_nodes, args.hr_nodes))
    lr_adj, hr_adj = [(a + a.transpose(-1, -2)) / 2 for a in (lr_adj, hr_adj)]
    rows = []
    for preset in args.epoch_presets:
        seconds = {}
        for name in ['GSRNet', *args.models]:
            torch.manual_seed(args.seed)
            build = MODELS[name] if name == 'GSRNet' else PAIRS[name].package
            model = build(args.lr_nodes, args.hr_nodes, preset=preset)
            model.initialize(lr_adj, hr_adj)
            seconds[name] = epoch_seconds(model, lr_adj, hr_adj, preset)
            rows.append([preset, name, f'{seconds[name]:.2f}',
                         f'{seconds[name] / seconds["GSRNet"]:.2f}x'])
            print(*rows[-1], flush=True)
    return rows


def main() -> None:
    args = parser(__doc__.splitlines()[0])
    args.add_argument('--models', nargs='+', default=list(PAIRS), choices=list(PAIRS))
    args.add_argument('--lr-nodes', type=int, default=160)
    args.add_argument('--hr-nodes', type=int, default=268)
    args.add_argument('--repeats', type=int, default=5)
    args.add_argument('--official', default=str(releases.OFFICIAL),
                      help='folder of the official releases')
    args.add_argument('--tolerance', type=float, default=1e-4,
                      help='largest float32 |package - release| prediction allowed')
    args.add_argument('--epoch-subjects', type=int, default=40)
    args.add_argument('--epoch-presets', nargs='*', default=['paper', 'recommended'])
    args = args.parse_args()
    args.disagree = []
    releases.OFFICIAL = Path(args.official)
    if not releases.OFFICIAL.is_dir():
        raise SystemExit(f'no official releases at {releases.OFFICIAL} (--official)')
    device = start('package models against their official releases', args)
    if 'STPGSR' in args.models:
        print(f'release dual graph alone (create_dual_graph, K_{args.hr_nodes}): '
              f'{dual_graph_seconds(args.hr_nodes):.2f} s', flush=True)
    for name in args.models:
        print(format_table(['model', 'side', 'build s', 'step s (median)', 'step CPU s',
                            'step peak MiB', 'build peak MiB'], compare(name, args, device)),
              flush=True)
    if args.epoch_presets:
        print(format_table(['preset', 'model', 's/epoch', 'x GSRNet'], epochs(args)))
    if args.disagree:
        raise SystemExit(f'package and release predictions differ by more than '
                         f'{args.tolerance:g}: {args.disagree}')


if __name__ == '__main__':
    main()
