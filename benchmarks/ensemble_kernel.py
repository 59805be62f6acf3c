# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: kernel ridge regression with a Gaussian kernel (bandwidth and
alpha chosen on the ensemble's validation samples) as a fifth member, on what
ensemble_probe.py saved.

Usage (from /tmp/ahead): python ensemble_kernel.py probe_run_0.pt
"""

import sys
import warnings

import torch

from torch_gsr.utils.simplex import best_simplex_weights
from torch_gsr.utils.vectorize import unvectorize, vectorize

torch.set_num_threads(1)
warnings.simplefilter("ignore")


def mae(p, y):
    return float((vectorize(p, "triu") - vectorize(y, "triu")).abs().mean())


def krr(lr, hr, xs, gamma_scale, alpha):
    X = vectorize(lr, "triu").double()
    Y = vectorize(hr, "triu").double()
    xm, ym = X.mean(0), Y.mean(0)
    X = X - xm
    Yc = Y - ym
    d2 = torch.cdist(X, X) ** 2
    g = 1 / (gamma_scale * d2.median())
    K = torch.exp(-g * d2)
    C = torch.linalg.solve(K + alpha * torch.eye(len(K), dtype=K.dtype), Yc)
    outs = []
    for x in xs:
        k = torch.exp(-g * torch.cdist(vectorize(x, "triu").double() - xm, X) ** 2)
        outs.append(unvectorize((ym + k @ C).float(), "triu"))
    return outs


for path in sys.argv[1:]:
    d = torch.load(path)
    ref = mae(d["ridge_test"], d["test_hr"])
    mv, mt = list(d["mv"]), list(d["mt"])
    yv = vectorize(d["val_hr"].double(), "triu").flatten()
    best = None
    for gs in (0.5, 1, 2, 4):
        for a in (1e-3, 1e-2, 1e-1, 1):
            pv, pt = krr(d["tr_lr"], d["tr_hr"], [d["val_lr"], d["test_lr"]], gs, a)
            v = mae(pv, d["val_hr"])
            if best is None or v < best[0]:
                best = (v, gs, a, pv, pt)
    v, gs, a, pv, pt = best
    print(
        path,
        "krr chosen on val",
        gs,
        a,
        "val",
        v,
        "ridge member val",
        mae(mv[2], d["val_hr"]),
        "test/ridge",
        mae(pt, d["test_hr"]) / ref,
    )
    V = torch.stack([vectorize(m.double(), "triu").flatten() for m in mv + [pv]])
    ww = best_simplex_weights(V, yv, 20)
    print(
        " +krr ens",
        mae(torch.einsum("k,kbij->bij", ww.float(), torch.stack(mt + [pt])), d["test_hr"]) / ref,
        ww.tolist(),
        flush=True,
    )
