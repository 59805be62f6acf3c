# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: NodeMapGSR variants on the ensemble's own split (what
ensemble_probe.py saved): map_decay 1e-5 (default), 1e-3, 1e-1, a linear map;
seed 0 alone and the mean of seeds 0-2. Validation MAE (what a rule could
choose on) and test MAE over ridge's (reported only).

Usage (from /tmp/ahead): python ensemble_nodemap.py probe_run_0.pt probe_subjects.pt ...
"""

import sys
import warnings

import torch

from torch_gsr.nn import NodeMapGSR
from torch_gsr.train import fit, predict
from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)
warnings.simplefilter("ignore")


def mae(p, y):
    return float((vectorize(p, "triu") - vectorize(y, "triu")).abs().mean())


for path in sys.argv[1:]:
    d = torch.load(path)
    ref = mae(d["ridge_test"], d["test_hr"])
    n, m = d["tr_lr"].size(-1), d["tr_hr"].size(-1)
    for kw in (
        dict(map_decay=1e-5),
        dict(map_decay=1e-3),
        dict(map_decay=1e-1),
        dict(map_decay=1e-5, softmax_map=False),
    ):
        preds_v, preds_t = [], []
        for seed in (0, 1, 2):
            torch.manual_seed(seed)
            a = NodeMapGSR(n, m, ridge_blend=False, **kw)
            h = fit(
                a,
                (d["tr_lr"], d["tr_hr"]),
                val_dataset=(d["val_lr"], d["val_hr"]),
                seed=seed,
                progress=False,
            )
            preds_v.append(predict(a, d["val_lr"]))
            preds_t.append(predict(a, d["test_lr"]))
            if seed == 0:
                print(
                    path,
                    kw,
                    "seed0 val",
                    round(mae(preds_v[0], d["val_hr"]), 5),
                    "test/ridge",
                    round(mae(preds_t[0], d["test_hr"]) / ref, 4),
                    "epochs",
                    len(h.records),
                    flush=True,
                )
        print(
            path,
            kw,
            "3 seeds val",
            round(mae(sum(preds_v) / 3, d["val_hr"]), 5),
            "test/ridge",
            round(mae(sum(preds_t) / 3, d["test_hr"]) / ref, 4),
            flush=True,
        )
