"""Whether a restructuring changed any number: every model's output and its
prediction after three epochs of ``fit`` (``paper`` and ``recommended``
presets, with and without validation), saved by one checkout and compared
bit for bit with another's on the same machine.

    PYTHONPATH=/path/to/old/checkout python same_numbers.py --save old.pt
    python same_numbers.py --save new.pt --compare old.pt

EnsembleGSR is left out: it combines the others' outputs. With
``--checkpoints DIR``, the first run (the old checkout) also trains every
model, EnsembleGSR included, for two epochs and writes its checkpoint and
predictions to DIR; the second loads those checkpoints and compares its
predictions (and the ensemble's intervals) with them.
"""
import argparse
import os
import os.path as osp

import torch

from torch_gsr.datasets import synthetic_connectomes
from torch_gsr.nn import MODELS
from torch_gsr.train import fit, load_checkpoint, predict


def outputs() -> dict:
    lr, hr = (torch.from_numpy(a) for a in synthetic_connectomes(24, 10, 16, seed=2))
    out = {}
    for name in sorted(set(MODELS) - {'EnsembleGSR'}):
        for preset in ('paper', 'recommended'):
            torch.manual_seed(0)
            model = MODELS[name](10, 16, preset=preset).eval()
            with torch.no_grad():
                out[f'{name}/{preset}/forward'] = model(lr[20:]).hr_adj.clone()
            torch.manual_seed(0)
            model = MODELS[name](10, 16, preset=preset)
            fit(model, (lr[:20], hr[:20]), epochs=3, batch_size=4, seed=0, progress=False,
                preset=preset, **({} if preset == 'paper' else {'val_fraction': 0.2}))
            out[f'{name}/{preset}/trained'] = predict(model, lr[20:])
    return out


def checkpoints(folder: str) -> dict:
    r"""Predictions of every model: trained and written to ``folder``, or
    (when its checkpoints are there) loaded from it."""
    lr, hr = (torch.from_numpy(a) for a in synthetic_connectomes(30, 10, 16, seed=4))
    out = {}
    for name in sorted(MODELS):
        path = osp.join(folder, f'{name}.pt')
        if osp.isfile(path):
            model = load_checkpoint(path)[0]
        else:
            torch.manual_seed(0)
            model = MODELS[name](10, 16)
            fit(model, (lr[:24], hr[:24]), epochs=2, batch_size=4, seed=0,
                progress=False, checkpoint=path)
        out[f'{name}/checkpoint'] = predict(model, lr[24:])
        if name == 'EnsembleGSR':
            out[f'{name}/intervals'] = torch.stack(model.predict_intervals(lr[24:]))
    return out


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument('--save', required=True)
    args.add_argument('--compare')
    args.add_argument('--checkpoints', metavar='DIR')
    args = args.parse_args()
    torch.set_num_threads(1)
    out = outputs()
    if args.checkpoints:
        os.makedirs(args.checkpoints, exist_ok=True)
        out.update(checkpoints(args.checkpoints))
    torch.save(out, args.save)
    if args.compare:
        old = torch.load(args.compare)
        differ = sorted(k for k in old.keys() | out.keys()
                        if k not in old or k not in out or not torch.equal(old[k], out[k]))
        print(f'{len(out) - len(differ)} of {len(out)} outputs bit-identical; differ: {differ}')
        return int(bool(differ))
    print(f'{len(out)} outputs saved to {args.save}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
