r"""Why super-resolve: a graph classifier on LR, super-resolved and true HR
connectomes.

A simulated cohort (torch_gsr.datasets.synthetic_connectomes) of two equal
groups that differ in connections at the scale of the HR atlas: in group 1 a
few HR parcels share an extra time course. By default the signal averages to
zero over every LR parcel, so only the HR atlas resolves the difference
(--lr-visibility 1: the LR atlas sees it diluted instead).

1. GSRNet is trained (torch_gsr.train.fit) on a separate split of subjects,
   whose group labels are never used.
2. Every subject of the classification cohort becomes three PyG graphs: its
   LR connectome, its super-resolved HR connectome (GraphSuperResolution:
   the trained GSRNet, then each node's top-k strongest edges) and its true
   HR connectome, each with the adjacency rows as node features and its
   top-k strongest edges (the same k for all).
3. A GCN classifier (two GCNConv layers, mean and max pooling, a linear
   layer) is cross-validated on each kind of graph, on the same stratified
   folds with the same seeds; node features are standardised with the
   training folds' mean and std.

Prints the accuracy table and writes to --out: results.md (the table) and
accuracy.png (accuracy per input, mean and std over folds, and every fold).
Runs in a few minutes on 2 CPU cores with no arguments; --quick is a smoke
test (small graphs, few subjects and epochs).
"""
import argparse
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader
from torch_geometric.nn import GCNConv, global_max_pool, global_mean_pool

from torch_gsr.datasets import ConnectomePair, synthetic_connectomes
from torch_gsr.nn import MODELS, SuperResolutionModel
from torch_gsr.plot import save_figure
from torch_gsr.train import fit
from torch_gsr.transforms import GraphSuperResolution
from torch_gsr.utils import sparse_view, strongest_edges

DEFAULTS = dict(subjects=120, gsr_subjects=80, lr_nodes=160, hr_nodes=268, folds=5,
                gsr_epochs=None, epochs=50, top_k=10)
QUICK = dict(subjects=24, gsr_subjects=12, lr_nodes=20, hr_nodes=34, folds=2,
             gsr_epochs=1, epochs=3, top_k=4)
INPUTS = ('LR', 'super-resolved', 'HR')


class GCNClassifier(torch.nn.Module):
    r"""Two :class:`~torch_geometric.nn.GCNConv` layers on the weighted
    graph, mean and max pooling, a linear layer: two logits per graph.

    Args:
        in_channels (int): node feature size.
        hidden_channels (int): hidden size.
        dropout (float): dropout before the linear layer.
    """
    def __init__(self, in_channels: int, hidden_channels: int = 32, dropout: float = 0.5):
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden_channels)
        self.conv2 = GCNConv(hidden_channels, hidden_channels)
        self.lin = torch.nn.Linear(2 * hidden_channels, 2)
        self.dropout = dropout

    def forward(self, x, edge_index, edge_weight, batch):
        x = F.relu(self.conv1(x, edge_index, edge_weight))
        x = F.relu(self.conv2(x, edge_index, edge_weight))
        x = torch.cat([global_mean_pool(x, batch), global_max_pool(x, batch)], dim=-1)
        return self.lin(F.dropout(x, self.dropout, training=self.training))


def as_graphs(adj: torch.Tensor, labels: torch.Tensor, top_k: int) -> List[Data]:
    r"""One graph per connectome of ``adj`` ``[S, N, N]``: adjacency rows as
    ``x``, the top-``k`` strongest edges, label ``y``."""
    kept = strongest_edges(adj, top_k=top_k)
    return [Data(x=a, edge_index=ei, edge_weight=ew, y=y.view(1))
            for a, k, y in zip(adj, kept, labels, strict=True) for ei, ew in [sparse_view(k)]]


def super_resolved_graphs(model: SuperResolutionModel, lr: torch.Tensor, labels: torch.Tensor,
                          top_k: int) -> List[Data]:
    r"""The cohort through :class:`GraphSuperResolution` in one batch."""
    cohort = Batch.from_data_list([ConnectomePair(a, y=y.view(1))
                                   for a, y in zip(lr, labels, strict=True)])
    return GraphSuperResolution(model, top_k=top_k)(cohort).to_data_list()


def stratified_folds(labels: torch.Tensor, folds: int, seed: int) -> List[torch.Tensor]:
    r"""Test indices of each fold; every fold holds each group in proportion."""
    gen = torch.Generator().manual_seed(seed)
    parts = [[] for _ in range(folds)]
    for group in labels.unique():
        members = (labels == group).nonzero().view(-1)
        members = members[torch.randperm(len(members), generator=gen)]
        for fold, chunk in enumerate(members.tensor_split(folds)):
            parts[fold].append(chunk)
    return [torch.cat(part).sort().values for part in parts]


def standardized(graphs: List[Data], train: torch.Tensor) -> List[Data]:
    r"""``graphs`` with every feature (an adjacency entry) standardised by its
    mean and std over the ``train`` graphs (boolean ``[S]``): group
    differences are small next to the population's common structure."""
    x = torch.stack([g.x for g in graphs])
    mean, std = x[train].mean(0), x[train].std(0).clamp(min=1e-6)
    return [Data(x=(g.x - mean) / std, edge_index=g.edge_index, edge_weight=g.edge_weight,
                 y=g.y) for g in graphs]


def accuracy_of_fold(graphs: List[Data], test: torch.Tensor, epochs: int, seed: int) -> float:
    r"""Trains a fresh :class:`GCNClassifier` on every graph outside ``test``
    (features standardised on them) and returns its accuracy on ``test``."""
    torch.manual_seed(seed)
    in_train = torch.ones(len(graphs), dtype=torch.bool)
    in_train[test] = False
    graphs = standardized(graphs, in_train)
    train = [g for g, t in zip(graphs, in_train, strict=True) if t]
    loader = DataLoader(train, batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model = GCNClassifier(graphs[0].num_node_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=5e-4)
    for _ in range(epochs):
        model.train()
        for batch in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(batch.x, batch.edge_index, batch.edge_weight,
                                         batch.batch), batch.y)
            loss.backward()
            optimizer.step()
    model.eval()
    test_batch = Batch.from_data_list([graphs[i] for i in test.tolist()])
    with torch.no_grad():
        logits = model(test_batch.x, test_batch.edge_index, test_batch.edge_weight,
                       test_batch.batch)
    return float((logits.argmax(-1) == test_batch.y).float().mean())


def simulate(args) -> Dict[str, torch.Tensor]:
    r"""The GSR training split and the classification cohort, one
    simulation (one atlas pair), balanced random groups."""
    total = args.gsr_subjects + args.subjects
    labels = np.random.default_rng(args.seed).permutation(np.arange(total) % 2)
    lr, hr = synthetic_connectomes(total, args.lr_nodes, args.hr_nodes, seed=args.seed,
                                   labels=labels, group_effect=args.group_effect,
                                   effect_parcels=args.effect_parcels,
                                   lr_visibility=args.lr_visibility)
    lr, hr, labels = torch.from_numpy(lr), torch.from_numpy(hr), torch.from_numpy(labels)
    split = args.gsr_subjects
    return dict(gsr_lr=lr[:split], gsr_hr=hr[:split], lr=lr[split:], hr=hr[split:],
                labels=labels[split:])


def write_figure(path: str, accuracies: Dict[str, List[float]]) -> None:
    r"""Accuracy per input: mean and std over folds as bars, folds as dots."""
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    for i, name in enumerate(accuracies):
        values = np.asarray(accuracies[name])
        ax.bar(i, values.mean(), yerr=values.std(), capsize=4, color='tab:blue', alpha=0.7)
        ax.plot(np.full(len(values), i), values, 'k.', alpha=0.6)
    ax.axhline(0.5, color='grey', linestyle='--', linewidth=1, label='chance')
    ax.set_xticks(range(len(accuracies)))
    ax.set_xticklabels(list(accuracies))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel('test accuracy (folds)')
    ax.legend(loc='lower right')
    save_figure(fig, path)


def table(accuracies: Dict[str, List[float]], nodes: Dict[str, int]) -> str:
    lines = ['| input | nodes | accuracy (mean ± std) | folds |', '|---|---|---|---|']
    for name, values in accuracies.items():
        values = np.asarray(values)
        folds = ' '.join(f'{v:.2f}' for v in values)
        lines.append(f'| {name} | {nodes[name]} | {values.mean():.3f} ± {values.std():.3f} '
                     f'| {folds} |')
    return '\n'.join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='runs/downstream_classification', metavar='DIR')
    parser.add_argument('--quick', action='store_true', help='smoke test')
    parser.add_argument('--subjects', type=int, help='classification cohort size '
                        f"(default: {DEFAULTS['subjects']})")
    parser.add_argument('--model', choices=list(MODELS), default='GSRNet',
                        help='the super-resolution model (default: GSRNet)')
    parser.add_argument('--gsr-subjects', type=int, help='GSRNet training split size '
                        f"(default: {DEFAULTS['gsr_subjects']})")
    parser.add_argument('--lr-nodes', type=int)
    parser.add_argument('--hr-nodes', type=int)
    parser.add_argument('--folds', type=int)
    parser.add_argument('--gsr-epochs', type=int,
                        help="GSRNet epochs (default: the 'recommended' preset's)")
    parser.add_argument('--epochs', type=int, help='classifier epochs')
    parser.add_argument('--top-k', type=int, help='edges kept per node')
    parser.add_argument('--group-effect', type=float, default=2.,
                        help='amplitude of the group-1 signal (default: 2)')
    parser.add_argument('--effect-parcels', type=int, default=8,
                        help='HR parcels it affects (default: 8)')
    parser.add_argument('--lr-visibility', type=float, default=0.,
                        help='how much of it the LR atlas sees: 0 none (default), '
                             '1 plainly averaged')
    parser.add_argument('--seed', type=int, default=0)
    return parser


def resolve(args) -> argparse.Namespace:
    r"""Fills every size option left out from --quick's or the defaults."""
    base = QUICK if args.quick else DEFAULTS
    for key, value in base.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = resolve(build_parser().parse_args(argv))
    began = time.perf_counter()
    torch.manual_seed(args.seed)
    data = simulate(args)
    print(f'{args.gsr_subjects} subjects to train {args.model}, {args.subjects} to classify, '
          f'{args.lr_nodes} -> {args.hr_nodes} nodes', flush=True)

    model = MODELS[args.model](args.lr_nodes, args.hr_nodes)
    fit(model, (data['gsr_lr'], data['gsr_hr']), epochs=args.gsr_epochs, seed=args.seed,
        progress=False)
    graphs = {'LR': as_graphs(data['lr'], data['labels'], args.top_k),
              'super-resolved': super_resolved_graphs(model, data['lr'], data['labels'],
                                                      args.top_k),
              'HR': as_graphs(data['hr'], data['labels'], args.top_k)}

    folds = stratified_folds(data['labels'], args.folds, args.seed)
    accuracies = {name: [accuracy_of_fold(graphs[name], test, args.epochs, args.seed + f)
                         for f, test in enumerate(folds)] for name in INPUTS}
    nodes = {name: graphs[name][0].num_nodes for name in INPUTS}
    result = table(accuracies, nodes)
    print(f'\nGCN classifier, {args.folds}-fold cross-validation, top-{args.top_k} edges:')
    print(result)

    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write(result + '\n')
    write_figure(osp.join(args.out, 'accuracy.png'), accuracies)
    print(f'\nwrote {args.out}/results.md and accuracy.png '
          f'({time.perf_counter() - began:.0f} s)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
