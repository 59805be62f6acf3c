# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: the best member per HR edge, chosen on the validation samples
(a rule) and on the test samples (a bound only), on what ensemble_probe.py
saved.

Usage (from /tmp/ahead): python ensemble_edges.py probe_run_0.pt probe_subjects.pt ...
"""

import sys

import torch

from torch_gsr.utils.vectorize import vectorize

torch.set_num_threads(1)
for path in sys.argv[1:]:
    d = torch.load(path)
    yt = vectorize(d["test_hr"].double(), "triu")
    yv = vectorize(d["val_hr"].double(), "triu")
    ref = float((vectorize(d["ridge_test"].double(), "triu") - yt).abs().mean())
    T = vectorize(d["mt"].double(), "triu")
    V = vectorize(d["mv"].double(), "triu")  # [K,B,E]
    et = (T - yt).abs().mean(1)
    ev = (V - yv).abs().mean(1)  # [K,E]
    orc = float(et.min(0).values.mean()) / ref
    pick = ev.argmin(0)
    rule = float(et.gather(0, pick[None]).mean()) / ref
    print(
        path,
        "per-edge best member: ORACLE(test)",
        round(orc, 4),
        "chosen on val",
        round(rule, 4),
        flush=True,
    )
