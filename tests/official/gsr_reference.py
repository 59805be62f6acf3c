r"""Independent re-implementation of the released GSR-Net and AGSR-Net code
(basiralab/GSR-Net at bb54332, basiralab/AGSR-Net at 73d5bc8), written from a
reading of it for the equivalence tests: one unbatched subject, plain torch,
every weight passed in a dict. The official file and line of each step is in
the comments; ``docs/models/gsr_net.md`` and ``agsr_net.md`` list them.

Weight names (shapes for ``N`` LR nodes, width ``D``, ``P`` HR nodes after
padding, hidden ``H``): ``start.weight [D, N]``, ``start.bias [D]``,
``down.{i}.*``, ``up.{i}.*``, ``bottom.*`` (``[D, D]``, ``[D]``),
``pool.{i}.weight [1, D]``, ``pool.{i}.bias [1]``, ``end.weight [P, 2D]``,
``end.bias [P]``, ``gsr.weight [P, P]``, ``hr1.weight [P, H]``,
``hr2.weight [H, P]``, and AGSR-Net's discriminator ``disc.0 [P, P]``,
``disc.1 [P, P]``, ``disc.2 [P, 1]``.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

Weights = Dict[str, Tensor]


def degree_normalize(a: Tensor) -> Tensor:
    # preprocessing.py:15-24 (both repos): D^-1/2 A^T D^-1/2 with D the row
    # sums of A (self-loops not added), 0 where a row sums to 0.
    inv = a.sum(1).pow(-0.5)
    inv = torch.where(torch.isinf(inv), torch.zeros_like(inv), inv)
    return (a * inv.unsqueeze(0)).t() * inv.unsqueeze(0)


def linear(w: Weights, name: str, x: Tensor) -> Tensor:
    return x @ w[name + '.weight'].t() + w[name + '.bias']


def unet_gcn(w: Weights, name: str, a: Tensor, x: Tensor, propagate: bool) -> Tensor:
    # ops.py:40-52. GSR-Net: the product with A is commented out (line 50),
    # the layer is Linear(X). AGSR-Net: Linear(A X). No activation in either.
    return linear(w, name, a @ x if propagate else x)


def pool(w: Weights, name: str, ratio: float, a: Tensor, x: Tensor):
    # ops.py:17-37: score sigmoid(Linear(X) / 100), k = int(ratio * N)
    # (floor), gate the kept rows by their score, A[idx][:, idx] (not
    # re-normalised).
    score = torch.sigmoid(linear(w, name, x).squeeze(-1) / 100)
    value, idx = torch.topk(score, int(ratio * a.size(0)))
    return a[idx][:, idx], x[idx] * value.unsqueeze(-1), idx


def graph_unet(w: Weights, ratios: Sequence[float], a: Tensor, x: Tensor,
               propagate: bool):
    # ops.py:55-100 (AGSR-Net), 54-99 (GSR-Net): start GCN; per level
    # GCN then pool; bottom GCN; per level (deepest first) unpool, GCN,
    # add the level's GCN output; concatenate with the start output; end GCN.
    x = unet_gcn(w, 'start', a, x, propagate)
    start = x
    saved = []
    for i, ratio in enumerate(ratios):
        x = unet_gcn(w, f'down.{i}', a, x, propagate)
        saved.append((a, x))
        a_next, x, idx = pool(w, f'pool.{i}', ratio, a, x)
        saved[-1] = saved[-1] + (idx,)
        a = a_next
    x = unet_gcn(w, 'bottom', a, x, propagate)
    for step in range(len(ratios)):
        # The s-th decoding step (deepest level first) uses up GCN s.
        a, skip, idx = saved[len(ratios) - 1 - step]
        full = x.new_zeros(a.size(0), x.size(1))
        full[idx] = x
        x = unet_gcn(w, f'up.{step}', a, full, propagate) + skip
    x = torch.cat([x, start], dim=1)
    return unet_gcn(w, 'end', a, x, propagate), start


def gsr_layer(weight: Tensor, a: Tensor, z: Tensor, normalize: bool,
              lr_eigvecs: Optional[Tensor] = None):
    # layers.py:19-38 (GSR-Net), 20-42 (AGSR-Net): U0 = eigenvectors of the
    # normalised LR adjacency; S_d = K stacked identities (K = 2 hard-coded);
    # f_d = |W S_d U0^T Z| with unit diagonal; GSR-Net degree-normalises it
    # (not symmetrised first), AGSR-Net uses it as it is; X = f f^T,
    # symmetrised, unit diagonal, absolute value.
    n = a.size(0)
    # torch.symeig(..., upper=True) (layers.py:23 / :26): the upper triangle.
    u = torch.linalg.eigh(a, UPLO='U').eigenvectors if lr_eigvecs is None else lr_eigvecs
    s_d = torch.cat([torch.eye(n, dtype=a.dtype)] * (weight.size(0) // n), dim=0)
    f_d = (weight @ s_d @ u.t() @ z).abs()
    f_d = f_d.clone()
    f_d.fill_diagonal_(1.)
    adj = degree_normalize(f_d) if normalize else f_d
    x = adj @ adj.t()
    x = (x + x.t()) / 2
    x.fill_diagonal_(1.)
    return adj, x.abs()


def hr_gcn(weight: Tensor, x: Tensor, adj: Tensor, relu: bool) -> Tensor:
    # layers.py:42-64 (GSR-Net: activation commented out, line 63),
    # 45-68 (AGSR-Net: ReLU, line 67): adj @ (X W), no bias.
    out = adj @ (x @ weight)
    return F.relu(out) if relu else out


def forward(w: Weights, lr_adj: Tensor, ratios: Sequence[float],
            agsr: bool, lr_eigvecs: Optional[Tensor] = None,
            propagate: Optional[bool] = None) -> Dict[str, Tensor]:
    r"""model.py:21-38 (GSR-Net), 24-41 (AGSR-Net) on one ``[N, N]``
    subject: the padded ``[P, P]`` prediction ``out`` and the embeddings
    ``z_lr`` (U-Autoencoder output) and ``z0`` (its start GCN's).
    ``propagate`` (default: ``agsr``, as released) multiplies by ``A`` in
    the U-Net GCNs: ``propagate=True`` with ``agsr=False`` is GSR-Net with
    ops.py:50 restored (the package's fix)."""
    n = lr_adj.size(0)
    a = degree_normalize(lr_adj)
    eye = torch.eye(n, dtype=lr_adj.dtype)
    z_lr, z0 = graph_unet(w, ratios, a, eye,
                          propagate=agsr if propagate is None else propagate)
    adj, x = gsr_layer(w['gsr.weight'], a, z_lr, normalize=not agsr,
                       lr_eigvecs=lr_eigvecs)
    h = hr_gcn(w['hr1.weight'], x, adj, relu=agsr)
    z = hr_gcn(w['hr2.weight'], h, adj, relu=agsr)
    z = (z + z.t()) / 2
    z = z.clone()
    z.fill_diagonal_(1.)
    return dict(out=z.abs(), z_lr=z_lr, z0=z0, adj=adj, x=x)


def pad_target(hr_adj: Tensor, hr_padded: int) -> Tensor:
    # preprocessing.py:9-13: zero padding on both sides, then the whole
    # diagonal (padding included) set to 1.
    p = (hr_padded - hr_adj.size(0)) // 2
    out = F.pad(hr_adj, (p, p, p, p))
    out.fill_diagonal_(1.)
    return out


def unpad(adj: Tensor, hr_nodes: int) -> Tensor:
    # preprocessing.py:26-32
    p = (adj.size(0) - hr_nodes) // 2
    return adj[p:p + hr_nodes, p:p + hr_nodes]


def generator_loss(w: Weights, out: Dict[str, Tensor], hr_adj: Tensor,
                   lambda_rec: float, padded_hr_loss: bool) -> Dict[str, Tensor]:
    r"""train.py:35 (GSR-Net: ``lambda * MSE(Z_l, Z_0) + MSE(W, U_1) +
    MSE(unpad(out), A_h)``), train.py:39-40 (AGSR-Net: the same with the HR
    term on the padded matrices, ``MSE(out, pad(A_h))``). ``U_1``: the
    eigenvectors of the padded target (unit diagonal)."""
    padded = pad_target(hr_adj, out['out'].size(0))
    # torch.symeig(..., upper=True) (train.py:33 / :33-34).
    u1 = torch.linalg.eigh(padded, UPLO='U').eigenvectors
    rec = lambda_rec * F.mse_loss(out['z_lr'], out['z0'])
    eig = F.mse_loss(w['gsr.weight'], u1)
    if padded_hr_loss:
        hr = F.mse_loss(out['out'], padded)
    else:
        hr = F.mse_loss(unpad(out['out'], hr_adj.size(0)), hr_adj)
    return dict(total=hr + eig + rec, hr=hr, eig=eig, rec=rec)


def discriminator(w: Weights, rows: Tensor) -> Tensor:
    r"""model.py:44-77 (AGSR-Net): three bias-free dense layers, ReLU, ReLU,
    sigmoid; the pre-sigmoid logits of each row (the released
    ``abs(sigmoid(.))`` is the sigmoid itself)."""
    h = F.relu(rows @ w['disc.0'])
    h = F.relu(h @ w['disc.1'])
    return h @ w['disc.2']


def prior_sample(padded_hr: Tensor, noise: Tensor) -> Tensor:
    # model.py:80-87: |A + noise|, symmetrised, unit diagonal.
    z = (padded_hr + noise).abs()
    z = (z + z.t()) / 2
    z.fill_diagonal_(1.)
    return z


def adversarial_losses(w: Weights, pred: Tensor, prior: Tensor):
    r"""The discriminator's loss ``BCE(D(prior), 1) + BCE(D(pred), 0)`` and
    the generator's ``BCE(D(pred), 1)``: train.py:43-58 with its two defects
    fixed (the labels are swapped there, and its generator term scores a
    prior sample, a constant of the generator)."""
    real = discriminator(w, prior)
    fake = discriminator(w, pred)
    disc = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    gen = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    return gen, disc


def bce_logits(logits: Tensor, label: float) -> Tensor:
    r"""``BCELoss(sigmoid(logits), label)`` (the released discriminator's
    sigmoid with nn.BCELoss, model.py:75-77, train.py:15)."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def leaves(w: Weights, prefix: str, keep: bool) -> Dict[str, Tensor]:
    r"""Trainable copies of the weights whose name starts with ``prefix``
    (``keep``) or does not (not ``keep``)."""
    return {name: value.detach().clone().requires_grad_()
            for name, value in w.items() if name.startswith(prefix) == keep}


def train_gsr_net(w: Weights, lr_adj: Tensor, hr_adj: Tensor, ratios: Sequence[float],
                  lambda_rec: float, learning_rate: float, epochs: int) -> Weights:
    r"""train.py:10-40 (GSR-Net) on ``[S, N, N]`` / ``[S, N_h, N_h]``: one
    Adam (demo.py:104), every epoch the subjects in their order
    (train.py:21), one step per subject on :func:`generator_loss` (HR term
    cropped). With the package's fixes: the U-Net GCNs propagate (ops.py:50)
    and every weight trains (the level GCNs and pools the release keeps in
    Python lists, ops.py:64-73, included). Returns the trained weights."""
    params = leaves(w, '', True)
    opt = torch.optim.Adam(list(params.values()), lr=learning_rate)
    for _ in range(epochs):
        for lr, hr in zip(lr_adj, hr_adj, strict=True):
            opt.zero_grad()
            out = forward(params, lr, ratios, agsr=False, propagate=True)
            generator_loss(params, out, hr, lambda_rec, padded_hr_loss=False)['total'].backward()
            opt.step()
    return {name: value.detach() for name, value in params.items()}


def train_agsr_net(w: Weights, lr_adj: Tensor, hr_adj: Tensor, ratios: Sequence[float],
                   lambda_rec: float, learning_rate: float, epochs: int, draw_noise,
                   adv_weight: float = 1., stepped_discriminator: bool = False) -> Weights:
    r"""train.py:12-64 (AGSR-Net): two Adams (train.py:17-18), every epoch
    the subjects in their order (train.py:25); per subject the
    discriminator's step first, on the detached padded prediction and a
    prior sample ``draw_noise()`` (train.py:43-54), then the generator's
    step (train.py:56-61) on :func:`generator_loss` (padded) plus
    ``adv_weight * BCE(D(prediction), 1)``. With the package's fixes: the
    labels of :func:`adversarial_losses`, a generator term that scores the
    prediction (the release's scores a prior sample, a constant), every
    weight trained. The generator term reads the discriminator as it was
    before its step (the package's single update), or with
    ``stepped_discriminator`` after it."""
    gen, disc = leaves(w, 'disc.', False), leaves(w, 'disc.', True)
    opt_g = torch.optim.Adam(list(gen.values()), lr=learning_rate)
    opt_d = torch.optim.Adam(list(disc.values()), lr=learning_rate)
    for _ in range(epochs):
        for lr, hr in zip(lr_adj, hr_adj, strict=True):
            out = forward(gen, lr, ratios, agsr=True)
            terms = generator_loss(gen, out, hr, lambda_rec, padded_hr_loss=True)
            prior = prior_sample(pad_target(hr, out['out'].size(0)), draw_noise())
            before = {name: value.detach().clone() for name, value in disc.items()}
            opt_d.zero_grad()
            (bce_logits(discriminator(disc, prior), 1.)
             + bce_logits(discriminator(disc, out['out'].detach()), 0.)).backward()
            opt_d.step()
            judge = {name: value.detach() for name, value in disc.items()} \
                if stepped_discriminator else before
            opt_g.zero_grad()
            adv = adv_weight * bce_logits(discriminator(judge, out['out']), 1.)
            (terms['total'] + adv).backward()
            opt_g.step()
    return {name: value.detach() for name, value in {**gen, **disc}.items()}
