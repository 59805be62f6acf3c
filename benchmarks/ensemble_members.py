# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: candidate extra members, fitted on the default ensemble's own
training part (what ensemble_probe.py saved): ridge in Fisher-z space, two more
NodeMapGSR seeds, NodeMapGSR with a linear map, DeepGSR. Weights on the
simplex minimising the MAE on the validation samples (a rule) and on the test
samples (a bound only, used for no decision).

Usage (from /tmp/ahead): python ensemble_members.py probe_run_0.pt probe_subjects.pt ...
"""

import sys
import warnings

import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.nn import MODELS, NodeMapGSR
from torch_gsr.train import fit, predict
from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)

warnings.simplefilter("ignore")


def vec(x):
    return vectorize(x.double(), "triu").flatten()


def z(x):
    return torch.atanh(x.clamp(-1 + 1e-6, 1 - 1e-6))


def simplex_l1(M, y, steps=300):
    a = torch.zeros(M.size(0), dtype=M.dtype, requires_grad=True)
    opt = torch.optim.Adam([a], lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = (y - torch.softmax(a, 0) @ M).abs().mean()
        loss.backward()
        opt.step()
    return torch.softmax(a, 0).detach()


for path in sys.argv[1:]:
    d = torch.load(path)
    yt, yv = vec(d["test_hr"]), vec(d["val_hr"])
    ref = float((vec(d["ridge_test"]) - yt).abs().mean())
    names = list(d["names"])
    V = [vec(x) for x in d["mv"]]
    T = [vec(x) for x in d["mt"]]
    n, m = d["tr_lr"].size(-1), d["tr_hr"].size(-1)
    tr = (d["tr_lr"], d["tr_hr"])
    val = (d["val_lr"], d["val_hr"])

    def add(name, pv, pt):
        names.append(name)
        V.append(vec(pv))
        T.append(vec(pt))

    zr = RidgeRegression().fit(z(d["tr_lr"].double()), z(d["tr_hr"].double()), d["tr_groups"])
    add(
        "zridge",
        torch.tanh(zr.predict(z(d["val_lr"].double()))),
        torch.tanh(zr.predict(z(d["test_lr"].double()))),
    )
    for seed in (1, 2):
        torch.manual_seed(seed)
        a = NodeMapGSR(n, m, ridge_blend=False)
        fit(a, tr, val_dataset=val, seed=seed, progress=False)
        add(f"NodeMap seed{seed}", predict(a, d["val_lr"]), predict(a, d["test_lr"]))
    torch.manual_seed(0)
    a = NodeMapGSR(n, m, ridge_blend=False, softmax_map=False)
    fit(a, tr, val_dataset=val, seed=0, progress=False)
    add("NodeMap linear map", predict(a, d["val_lr"]), predict(a, d["test_lr"]))
    torch.manual_seed(0)
    a = MODELS["DeepGSR"](n, m)
    fit(a, tr, val_dataset=val, seed=0, progress=False)
    add("DeepGSR", predict(a, d["val_lr"]), predict(a, d["test_lr"]))
    Vm, Tm = torch.stack(V), torch.stack(T)
    print(f"== {path} ridge {ref:.4f}")
    for k, nm in enumerate(names):
        print(
            f"  {nm}: test/ridge {float((Tm[k] - yt).abs().mean()) / ref:.4f} val MAE {float((Vm[k] - yv).abs().mean()):.4f}"
        )
    wv = simplex_l1(Vm, yv)
    wt = simplex_l1(Tm, yt)
    print(
        f"  all {len(names)}, weights by val MAE: {float((yt - wv @ Tm).abs().mean()) / ref:.4f} w={[round(x, 2) for x in wv.tolist()]}"
    )
    print(
        f"  all {len(names)}, ORACLE weights by test MAE (bound): {float((yt - wt @ Tm).abs().mean()) / ref:.4f} w={[round(x, 2) for x in wt.tolist()]}"
    )
    print(f"  equal over all: {float((yt - Tm.mean(0)).abs().mean()) / ref:.4f}", flush=True)
