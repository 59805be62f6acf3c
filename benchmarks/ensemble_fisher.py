# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: ridge in Fisher-z space (atanh of both connectomes, tanh back;
and atanh of the LR one only) as a fifth (and sixth) member, weights on the
validation samples (the grid), on what ensemble_probe.py saved.

Usage (from /tmp/ahead): python ensemble_fisher.py probe_run_0.pt probe_blocks.pt probe_subjects.pt
"""

import sys

import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.utils.simplex import best_simplex_weights
from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)


def mae(p, y):
    return float((vectorize(p, "triu") - vectorize(y, "triu")).abs().mean())


def z(x):
    return torch.atanh(x.clamp(-1 + 1e-6, 1 - 1e-6))


def fit_pred(kind, lr, hr, groups, *xs):
    if kind == "ridge":
        m = RidgeRegression().fit(lr, hr, groups)
        return [m.predict(x) for x in xs]
    if kind == "zridge":
        m = RidgeRegression().fit(z(lr), z(hr), groups)
        return [torch.tanh(m.predict(z(x))) for x in xs]
    if kind == "zinridge":
        m = RidgeRegression().fit(z(lr), hr, groups)
        return [m.predict(z(x)) for x in xs]
    raise ValueError(kind)


for path in sys.argv[1:]:
    d = torch.load(path)
    ref = mae(d["ridge_test"], d["test_hr"])
    names = list(d["names"])
    mt, mv = d["mt"].double(), d["mv"].double()
    out = [f"== {path} ridge={ref:.4f}"]
    w = d["weights"].double()
    out.append(
        f"ensemble {mae(torch.einsum('k,kbij->bij', w, mt), d['test_hr']) / ref:.4f} w={w.tolist()}"
    )
    out.append(
        "members "
        + " ".join(f"{n}={mae(m, d['test_hr']) / ref:.4f}" for n, m in zip(names, mt, strict=True))
    )
    extra_v, extra_t = {}, {}
    for kind in ("zridge", "zinridge"):
        pv, pt = fit_pred(
            kind,
            d["tr_lr"].double(),
            d["tr_hr"].double(),
            d["tr_groups"],
            d["val_lr"].double(),
            d["test_lr"].double(),
        )
        extra_v[kind], extra_t[kind] = pv, pt
        out.append(
            f"{kind} alone {mae(pt, d['test_hr']) / ref:.4f} val {mae(pv, d['val_hr']):.4f} (ridge member val {mae(mv[2], d['val_hr']):.4f})"
        )
    yv = vectorize(d["val_hr"].double(), "triu").flatten()

    def rule(sel_v, sel_t, label):
        V = torch.stack([vectorize(m, "triu").flatten() for m in sel_v])
        ww = best_simplex_weights(V, yv, 20)
        p = torch.einsum("k,kbij->bij", ww, torch.stack(sel_t))
        out.append(
            f"{label}: {mae(p, d['test_hr']) / ref:.4f} w={[round(x, 2) for x in ww.tolist()]}"
        )

    rule(list(mv) + [extra_v["zridge"]], list(mt) + [extra_t["zridge"]], "+zridge")
    rule(
        list(mv) + [extra_v["zridge"], extra_v["zinridge"]],
        list(mt) + [extra_t["zridge"], extra_t["zinridge"]],
        "+zridge+zin",
    )
    out.append("equal NN+ridge avg " + f"{mae(mt.mean(0), d['test_hr']) / ref:.4f}")
    print("\n".join(out), flush=True)
