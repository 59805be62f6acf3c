"""AGSR-Net's adversarial weight and input noise against GSR-Net's test error.

Simulated data (``--subjects`` at ``--lr-nodes -> --hr-nodes``), the first
two thirds of the subjects train and the rest test; every model is trained by
:func:`torch_gsr.train.fit` with the ``recommended`` preset from the same
seed, and the table gives the test MSE and Pearson correlation (upper
triangle, mean over test subjects, :mod:`torch_gsr.metrics`) of each option
set, given as ``name=value,...`` arguments
(``gsr`` for GSR-Net itself), e.g.::

    python agsr_ablation.py gsr adv_weight=1.,noise_std=0.1 adv_weight=0.01,noise_std=0.
"""
import common
import torch

from torch_gsr.metrics import mean_squared_error, pearson_correlation
from torch_gsr.nn import AGSRNet, GSRNet
from torch_gsr.train import fit, predict


def parse_options(text: str) -> dict:
    """``'a=1.,b=0'`` -> ``{'a': 1.0, 'b': 0.0}``."""
    pairs = (item.split('=') for item in text.split(',') if item)
    return {name: float(value) for name, value in pairs}


def main():
    args = common.parser(__doc__.splitlines()[0])
    args.add_argument('--subjects', type=int, default=60)
    args.add_argument('--lr-nodes', type=int, default=60)
    args.add_argument('--hr-nodes', type=int, default=100)
    args.add_argument('variants', nargs='+',
                      help="'gsr' or AGSR-Net options as name=value,...")
    args = args.parse_args()
    common.start(__doc__.splitlines()[0], args)
    lr, hr = common.default_data(args.subjects, args.lr_nodes, args.hr_nodes,
                                 args.seed)
    num_train = 2 * args.subjects // 3
    rows = []
    for variant in args.variants:
        torch.manual_seed(args.seed)
        model = (GSRNet(args.lr_nodes, args.hr_nodes) if variant == 'gsr' else
                 AGSRNet(args.lr_nodes, args.hr_nodes, **parse_options(variant)))
        fit(model, (lr[:num_train], hr[:num_train]), progress=False,
            seed=args.seed)
        pred, target = predict(model, lr[num_train:]), hr[num_train:]
        rows.append((type(model).__name__, variant,
                     float(mean_squared_error(pred, target).mean()),
                     float(pearson_correlation(pred, target).mean())))
    print(common.format_table(['model', 'options', 'test MSE', 'test PCC'], rows))


if __name__ == '__main__':
    main()
