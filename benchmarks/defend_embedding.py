"""The DEFEND release's simulated connectomes (its real node2vec features)
beside the package's stand-in (walk_embedding, cosine similarities), on the
same graphs.

Needs the release in ../shared/official/defend and ``pip install
node2vec==0.5.0`` (with gensim) somewhere on PYTHONPATH, which the package
does not depend on. Both draw their graphs after the release's
``set_seed(--seed)``; the graphs are identical (tests/test_release_graphs.py),
so only the features differ. Prints the mean, standard deviation and the
10/50/90% quantiles of the off-diagonal LR and HR entries, per set.
"""
import argparse
import contextlib
import io
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'official'))
from releases import release_module  # noqa: E402

from torch_gsr.datasets import release_graphs  # noqa: E402

#: The release's configs/simulated.py, per set.
CONFIGS = {
    'sbm': dict(n_blocks_min=2, n_blocks_max=5, p_inter_min=0.01, p_inter_max=0.10,
                p_intra_min=0.5, p_intra_max=0.6, n2v_num_walks=100),
    'ba': dict(m_min=4, m_max=8, n2v_num_walks=100),
    'ws': dict(k_min=6, k_max=12, p_min=0.2, p_max=0.5, n2v_num_walks=50),
}


def release_connectomes(kind: str, num_subjects: int, seed: int):
    data = SimpleNamespace(n_target_nodes=64, n_source_nodes=32, reduction_metric='degree',
                           n_samples=num_subjects, node_feat_init='adj', node_feat_dim=8,
                           node_feat_type='node2vec', n2v_walk_length=0.8, **CONFIGS[kind])
    module = release_module('defend', f'data.{kind}')
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    with contextlib.redirect_stderr(io.StringIO()):
        _, _, lr, hr = module.load_dataset(SimpleNamespace(data=data), 'cpu')
    return np.stack([np.asarray(x) for x in lr]), np.stack([np.asarray(x) for x in hr])


def summary(adj: np.ndarray) -> str:
    row, col = np.triu_indices(adj.shape[-1], 1)
    values = adj[:, row, col]
    q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9])
    return (f'mean {values.mean():.3f} std {values.std():.3f} '
            f'q10 {q10:.2f} q50 {q50:.2f} q90 {q90:.2f}')


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument('--subjects', type=int, default=8)
    args.add_argument('--seed', type=int, default=42)
    args.add_argument('--sets', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    args = args.parse_args()
    for kind in args.sets:
        began = time.perf_counter()
        release = release_connectomes(kind, args.subjects, args.seed)
        seconds = time.perf_counter() - began
        package = release_graphs(f'defend_{kind}', args.subjects, seed=args.seed)
        for name, (lr, hr) in (('release', release), ('package', package)):
            print(f'{kind} {name:8s} LR {summary(lr)} | HR {summary(hr)}')
        print(f'({kind}: the release took {seconds:.0f} s)', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
