# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: NodeMapGSR as the ensemble trains it (its training part, early
stopping on its validation part), then retrained on training + validation
samples for a fixed number of epochs (the best epoch, the epochs run, the
planned epochs), on what ensemble_probe.py saved.

Usage (from /tmp/ahead): python ensemble_refit.py NodeMapGSR probe_run_0.pt probe_subjects.pt
"""

import sys
import warnings

import torch

from torch_gsr.nn import GSRNet, NodeMapGSR
from torch_gsr.train import fit, predict
from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)
warnings.simplefilter("ignore")


def mae(p, y):
    return float((vectorize(p, "triu") - vectorize(y, "triu")).abs().mean())


cls = {"NodeMapGSR": NodeMapGSR, "GSRNet": GSRNet}[sys.argv[1]]
for path in sys.argv[2:]:
    d = torch.load(path)
    ref = mae(d["ridge_test"], d["test_hr"])
    n, m = d["tr_lr"].size(-1), d["tr_hr"].size(-1)
    torch.manual_seed(0)
    a = cls(n, m, ridge_blend=False)
    h = fit(
        a, (d["tr_lr"], d["tr_hr"]), val_dataset=(d["val_lr"], d["val_hr"]), seed=0, progress=False
    )
    best = min(
        range(len(h.records)),
        key=lambda i: h.records[i].get("val_hr", h.records[i].get("val_total", 0)),
    )
    print(list(h.records[0].keys()), len(h.records), h.planned_epochs, "best", best + 1)
    print(path, "member-like", mae(predict(a, d["test_lr"]), d["test_hr"]) / ref)
    lr_all = torch.cat([d["tr_lr"], d["val_lr"]])
    hr_all = torch.cat([d["tr_hr"], d["val_hr"]])
    for ep in sorted({best + 1, len(h.records), h.planned_epochs}):
        torch.manual_seed(0)
        b = cls(n, m, ridge_blend=False)
        fit(b, (lr_all, hr_all), seed=0, progress=False, val_fraction=0.0, epochs=ep)
        print(
            path,
            "refit all, epochs",
            ep,
            mae(predict(b, d["test_lr"]), d["test_hr"]) / ref,
            flush=True,
        )
