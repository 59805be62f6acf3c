# ruff: noqa: B023, E501  (the experiment scripts as run, reformatted)
"""Issue 28: trains the default EnsembleGSR once per data set and saves what
`ensemble_weights.py` and `ensemble_members.py` read: the ensemble's own
train/validation split, every member's predictions on the validation and test
samples, and RidgeRegression's test prediction (trained on every training
sample, with the groups the data carry, as in dependence.py/intervals.py).

Usage (from benchmarks/): python ensemble_probe.py run:0 subjects blocks windows wiring:250
(``run:K``/``subjects``/``blocks``/``windows``: dependence.py's splits;
``<simulator>:<subjects>``: intervals.py's). Writes /tmp/ahead/probe_<set>.pt.
"""

import sys
import time
import warnings

import torch

from torch_gsr.baselines import RidgeRegression
from torch_gsr.config import RECOMMENDED_FIT
from torch_gsr.nn import MODELS
from torch_gsr.train import ConnectomeTensors, fit
from torch_gsr.train.holdout import split_validation

torch.set_num_threads(1)


def get(name):
    if name.startswith(("subjects", "blocks", "run", "windows")):
        import dependence

        split, _, k = name.partition(":")
        train, test = dependence.split(split, int(k or 0))
        return train, None, test
    import common

    data, _, size = name.partition(":")
    return common.data_split(data, int(size or 0), 0)


for name in sys.argv[1:]:
    t0 = time.time()
    train, given_val, test = get(name)
    data = ConnectomeTensors.from_data(train)
    ridge = (
        RidgeRegression().fit(data.lr_adj, data.hr_adj, data.groups)
        if given_val is None
        else RidgeRegression().fit(
            torch.cat([data.lr_adj, given_val[0]]), torch.cat([data.hr_adj, given_val[1]])
        )
    )
    torch.manual_seed(0)
    model = MODELS["EnsembleGSR"](data.lr_adj.size(-1), data.hr_adj.size(-1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(model, train, val_dataset=given_val, seed=0, progress=False)
        if given_val is None:
            tr, val = split_validation(data, None, RECOMMENDED_FIT, False, 0)
        else:
            tr, val = data, ConnectomeTensors.from_data(given_val)
    model.eval()
    with torch.no_grad():
        mv = model(val.lr_adj).members
        mt = model(test[0]).members
    torch.save(
        dict(
            names=model.all_member_names,
            weights=model.weights.clone(),
            tr_lr=tr.lr_adj,
            tr_hr=tr.hr_adj,
            tr_groups=tr.group_index,
            val_lr=val.lr_adj,
            val_hr=val.hr_adj,
            val_groups=val.group_index,
            test_lr=test[0],
            test_hr=test[1],
            mv=mv,
            mt=mt,
            ridge_test=ridge.predict(test[0]),
            alpha=float(model.ridge.alpha),
        ),
        f"/tmp/ahead/probe_{name.replace(':', '_')}.pt",
    )
    print(name, "done", time.time() - t0, model.weights.tolist(), flush=True)
