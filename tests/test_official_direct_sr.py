r"""DirectSR (STP-GSR's baseline, basiralab/STP-GSR at 239abd9) against the
official module itself (``src/models/direct_sr.py``, run through
``tests/official/releases.py``) and against an independent
re-implementation (``tests/official/direct_sr_reference.py``): the package
model's weights are copied in and outputs and losses compared in float64,
eval mode."""
import pytest
import torch
from official import direct_sr_reference as ref
from official.release_weights import copy_direct_sr, direct_sr_config, perturb_norms
from official.releases import release_module
from test_official_stp import sparse_connectomes

from torch_gsr.nn import DirectSR

pytestmark = pytest.mark.usefixtures('one_thread')
LR, HR = 6, 8


def paper_model(seed: int) -> DirectSR:
    torch.manual_seed(seed)
    model = DirectSR(LR, HR, preset='paper').double().eval()
    perturb_norms([model.norm1, model.norm2], seed)
    return model


def reference_weights(model: DirectSR, seed: int) -> dict:
    r"""The package model's parameters under the reference's names (a random
    key bias, which the softmax cancels)."""
    gen = torch.Generator().manual_seed(seed)
    w = {}
    for name in ('conv1', 'conv2'):
        conv = model.get_submodule(name)
        for part in ('query', 'value', 'skip', 'key', 'edge'):
            lin = getattr(conv, f'lin_{part}')
            w[f'{name}.{part}.weight'] = lin.weight.detach()
            if lin.bias is not None:
                w[f'{name}.{part}.bias'] = lin.bias.detach()
        w[f'{name}.key.bias'] = torch.randn(conv.lin_key.weight.size(0), generator=gen,
                                            dtype=torch.float64)
    for name in ('norm1', 'norm2'):
        for param in ('weight', 'bias', 'mean_scale'):
            w[f'{name}.{param}'] = getattr(model.get_submodule(name), param).detach()
    return w


@pytest.mark.parametrize('seed', [0, 1])
def test_paper_preset_is_the_official_module(seed):
    r"""``DirectSR(preset='paper')`` = the official ``DirectSR`` (its own
    input graphs from ``src/dataset.py``) to 1e-10: the prediction, diagonal
    included, and the L1 loss."""
    released_module = release_module('stp-gsr', 'src.models.direct_sr')
    dataset = release_module('stp-gsr', 'src.dataset')
    model = paper_model(seed)
    released = released_module.DirectSR(direct_sr_config(LR, HR)).double().eval()
    copy_direct_sr(model, released, seed)
    lr_adj = sparse_connectomes(2, LR, seed)
    hr_adj = sparse_connectomes(2, HR, seed + 10)
    out = model(lr_adj)
    with torch.no_grad():
        theirs = [released(dataset.create_pyg_graph(a, LR), h)
                  for a, h in zip(lr_adj, hr_adj, strict=True)]
    for ours, (pred, _) in zip(out.a_hr, theirs, strict=True):
        torch.testing.assert_close(ours, pred, rtol=0, atol=1e-10)
    # Off the diagonal the package's prediction is the released one.
    off = ~torch.eye(HR, dtype=torch.bool)
    torch.testing.assert_close(out.hr_adj[:, off], torch.stack([p for p, _ in theirs])[:, off],
                               rtol=0, atol=1e-10)
    expected = torch.stack([torch.nn.L1Loss()(p, t) for p, t in theirs]).mean()
    torch.testing.assert_close(model.loss(out, hr_adj).total, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize('seed', [0, 1])
def test_paper_preset_is_the_reference(seed):
    model = paper_model(seed)
    w = reference_weights(model, seed)
    lr_adj = sparse_connectomes(2, LR, seed)
    hr_adj = sparse_connectomes(2, HR, seed + 10)
    out = model(lr_adj)
    theirs = torch.stack([ref.forward(w, a) for a in lr_adj])
    torch.testing.assert_close(out.a_hr, theirs, rtol=0, atol=1e-10)
    expected = torch.stack([ref.loss(p, h) for p, h in zip(theirs, hr_adj, strict=True)]).mean()
    torch.testing.assert_close(model.loss(out, hr_adj).total, expected, rtol=0, atol=1e-10)


def test_reference_needs_the_second_layer_graph_norm():
    r"""The comparison can fail: the reference without the second GraphNorm
    (a plausible misreading) differs from the package model."""
    model = paper_model(0)
    w = reference_weights(model, 0)
    w['norm2.weight'] = torch.ones_like(w['norm2.weight'])
    w['norm2.bias'] = torch.zeros_like(w['norm2.bias'])
    w['norm2.mean_scale'] = torch.ones_like(w['norm2.mean_scale'])
    lr_adj = sparse_connectomes(1, LR, 0)
    assert (model(lr_adj).a_hr[0] - ref.forward(w, lr_adj[0])).abs().max() > 1e-3


def test_rejects_more_heads_than_hr_nodes():
    with pytest.raises(ValueError, match=r'heads must be an int in \[1, hr_nodes = 3\]'):
        DirectSR(3, 3, heads=4)
