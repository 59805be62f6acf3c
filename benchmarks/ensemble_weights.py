# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: weight rules over the default ensemble's four members, offline, on
what ensemble_probe.py saved (the validation samples choose; the test samples
are only reported). 'oracle' = the best grid weights chosen ON THE TEST
samples: a bound on what any rule for weighting these members could reach,
used for no decision.

Usage (from /tmp/ahead): python ensemble_weights.py probe_run_0.pt probe_subjects.pt ...
"""

import sys

import torch
from scipy.optimize import nnls

from torch_gsr.nn.maps.local_ridge import LocalRidgeMap
from torch_gsr.nn.maps.ridge import RidgeMap
from torch_gsr.utils.simplex import best_simplex_weights
from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)


def vec(x):
    return vectorize(x.double(), "triu").flatten(-2)


def mae(p, y):
    return float((vectorize(p, "triu") - vectorize(y, "triu")).abs().mean())


print(
    "| set | ridge MAE | best member | current grid | equal | NNLS (MSE, val) | grid, ridge members refit on train+val | oracle (test, bound) |"
)
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for path in sys.argv[1:]:
    d = torch.load(path)
    ref = mae(d["ridge_test"], d["test_hr"])
    names = d["names"]
    mt, mv = d["mt"].double(), d["mv"].double()
    T = mt.flatten(1)  # [K, B*N*N]
    V = vec(mv).flatten(1)
    yv = vec(d["val_hr"]).flatten()
    Tv = vec(mt).flatten(1)
    yt = vec(d["test_hr"]).flatten()
    r = lambda w, M=Tv: float((yt - w.double() @ M).abs().mean()) / ref
    cur = r(d["weights"])
    eq = r(torch.full((len(names),), 1 / len(names)))
    w_nnls, _ = nnls(V.T.numpy(), yv.numpy())
    nn_ = r(torch.from_numpy(w_nnls))
    n, m = d["tr_lr"].size(-1), d["tr_hr"].size(-1)
    lr_all = torch.cat([d["tr_lr"], d["val_lr"]])
    hr_all = torch.cat([d["tr_hr"], d["val_hr"]])
    Tr = Tv.clone()
    with torch.no_grad():
        Tr[2] = vec(RidgeMap(n, m).fit(lr_all, hr_all)(d["test_lr"])).flatten()
        local = LocalRidgeMap(n, m, min(8, n))
        local.fit(lr_all, hr_all)
        Tr[3] = vec(local(d["test_lr"])).flatten()
    refit = r(d["weights"], Tr)
    worc = best_simplex_weights(Tv, yt, 20)
    orc = r(worc)
    best = min((float((yt - Tv[k]).abs().mean()) / ref, names[k]) for k in range(len(names)))
    print(
        f"| {path[6:-3]} | {ref:.4f} | {best[1]} {best[0]:.3f} | {cur:.3f} | {eq:.3f} | {nn_:.3f} | {refit:.3f} | {orc:.3f} w={[round(x, 2) for x in worc.tolist()]} |",
        flush=True,
    )
