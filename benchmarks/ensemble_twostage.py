# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: two members built on NodeMapGSR (trained as the ensemble trains
it): ridge from its mapped LR deviation to the HR connectome, and NodeMapGSR
plus ridge from the LR edges to its training residual; alone, and in a grid
(step 1/10) with the four default members, weights on the validation samples.

Usage (from /tmp/ahead): python ensemble_twostage.py probe_run_0.pt probe_subjects.pt ...
"""

import sys
import warnings

import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.nn import NodeMapGSR
from torch_gsr.train import fit
from torch_gsr.utils.matrix import symmetrize
from torch_gsr.utils.simplex import best_simplex_weights
from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)
warnings.simplefilter("ignore")


def vec(x):
    return vectorize(x.double(), "triu").flatten()


for path in sys.argv[1:]:
    d = torch.load(path)
    yt, yv = vec(d["test_hr"]), vec(d["val_hr"])
    ref = float((vec(d["ridge_test"]) - yt).abs().mean())
    n, m = d["tr_lr"].size(-1), d["tr_hr"].size(-1)
    torch.manual_seed(0)
    a = NodeMapGSR(n, m, ridge_blend=False)
    fit(a, (d["tr_lr"], d["tr_hr"]), val_dataset=(d["val_lr"], d["val_hr"]), seed=0, progress=False)
    a.eval()
    with torch.no_grad():
        out = {k: a(d[f"{k}_lr"]) for k in ("tr", "val", "test")}
    feat = {k: symmetrize(o.deviation).double() for k, o in out.items()}
    r1 = RidgeRegression().fit(feat["tr"], d["tr_hr"].double(), d["tr_groups"])
    p1 = {k: r1.predict(feat[k]) for k in ("val", "test")}
    res = d["tr_hr"].double() - out["tr"].hr_adj.double()
    r2 = RidgeRegression().fit(d["tr_lr"].double(), res, d["tr_groups"])
    p2 = {k: out[k].hr_adj.double() + r2.predict(d[f"{k}_lr"].double()) for k in ("val", "test")}
    s = lambda p, y: float((vec(p) - y).abs().mean())
    print(
        path,
        "nodemap",
        round(s(out["test"].hr_adj, yt) / ref, 4),
        "| ridge on mapped deviation",
        round(s(p1["test"], yt) / ref, 4),
        "val",
        round(s(p1["val"], yv), 4),
        "| nodemap + ridge on its training residual",
        round(s(p2["test"], yt) / ref, 4),
        "val",
        round(s(p2["val"], yv), 4),
        "| nodemap val",
        round(s(out["val"].hr_adj, yv), 4),
        "alphas",
        r1.alpha_,
        r2.alpha_,
        flush=True,
    )
    V = torch.stack([vec(x) for x in d["mv"]] + [vec(p1["val"]), vec(p2["val"])])
    T = torch.stack([vec(x) for x in d["mt"]] + [vec(p1["test"]), vec(p2["test"])])
    w = best_simplex_weights(V, yv, 10)
    print(
        "   6-member grid(1/10) on val:",
        round(float((yt - w @ T).abs().mean()) / ref, 4),
        w.tolist(),
        flush=True,
    )
