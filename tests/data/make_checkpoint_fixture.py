r"""Writes the checkpoint fixtures of tests/data (see README.md there).

Run from the repository root at the commit named in README.md:
``OMP_NUM_THREADS=1 python tests/data/make_checkpoint_fixture.py``."""
import os
import os.path as osp
import shutil

import torch

from torch_gsr.nn import GSRNet, NodeMapGSR
from torch_gsr.train import fit, load_checkpoint, predict

HERE = osp.dirname(osp.abspath(__file__))
LR_NODES, HR_NODES, SUBJECTS = 8, 12, 12


def connectomes(num, nodes, gen):
    adj = torch.rand(num, nodes, nodes, generator=gen)
    adj = (adj + adj.transpose(-1, -2)) / 2
    adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return adj


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    lr_adj = connectomes(SUBJECTS, LR_NODES, gen)
    lift = torch.rand(LR_NODES, HR_NODES, generator=gen)
    hr_adj = torch.sigmoid(lift.T @ lr_adj @ lift / LR_NODES)
    hr_adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    test_lr_adj = connectomes(4, LR_NODES, gen)
    for cls in (GSRNet, NodeMapGSR):
        name = cls.__name__.lower()
        path = osp.join(HERE, f'{name}_v1.pt')
        torch.manual_seed(0)
        model = cls(LR_NODES, HR_NODES)
        fit(model, (lr_adj, hr_adj), epochs=2, batch_size=4, seed=0,
            progress=False, checkpoint=path)
        loaded, _ = load_checkpoint(path)
        # What resuming the checkpoint for one more epoch gives.
        scratch = osp.join(HERE, f'.{name}_resume.pt')
        shutil.copyfile(path, scratch)
        torch.manual_seed(1)
        resumed = cls(LR_NODES, HR_NODES)
        fit(resumed, (lr_adj, hr_adj), epochs=3, batch_size=4, seed=0,
            progress=False, resume=scratch)
        torch.save(dict(lr_adj=lr_adj, hr_adj=hr_adj, test_lr_adj=test_lr_adj,
                        prediction=predict(loaded, test_lr_adj),
                        resumed_state=resumed.state_dict()),
                   osp.join(HERE, f'{name}_v1_expected.pt'))
        os.remove(scratch)


if __name__ == '__main__':
    main()
