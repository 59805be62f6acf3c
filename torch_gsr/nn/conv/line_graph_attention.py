r"""Attention over the line graph of :math:`K_n`, computed from its
structure a few rows at a time, with attention dropout from a
counter-based stream (:mod:`torch_gsr.utils.counter_random`)."""
from typing import Optional, Tuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from ...utils.counter_random import GOLDEN_GAMMA, as_int64, splitmix64_

#: Elements of one ``[rows, S, n, n]`` working block: small enough to stay
#: in cache and to be reused by the allocator instead of page-faulted anew.
BLOCK_ELEMENTS = 1 << 19


def _outer(x: Tensor, y: Tensor, out: Tensor) -> Tensor:
    # x @ y^T over the last two dims; one channel is a broadcast product.
    if x.size(-1) == 1:
        return torch.mul(x, y.transpose(-1, -2), out=out)
    return torch.matmul(x, y.transpose(-1, -2), out=out)


def _apply(a: Tensor, x: Tensor, out: Tensor, scratch: Tensor) -> Tensor:
    # a @ x; one channel: a product and a row sum (batched gemv is slow).
    if x.size(-1) == 1:
        return torch.sum(torch.mul(a, x.transpose(-1, -2), out=scratch), -1,
                         keepdim=True, out=out)
    return torch.matmul(a, x, out=out)


def _apply_t(a: Tensor, x: Tensor, out: Tensor, scratch: Tensor) -> Tensor:
    # a^T @ x, the same way.
    if x.size(-1) == 1:
        torch.sum(torch.mul(a, x, out=scratch), -2, out=out.squeeze(-1))
        return out
    return torch.matmul(a.transpose(-1, -2), x, out=out)


def _logits(query: Tensor, key: Tensor, start: int, out: Tensor) -> Tensor:
    # Logits of rows start.. ([rows, S, n, n]: row i, slab, j, k); the
    # non-neighbours (two of i, j, k equal) get the dtype's minimum.
    rows = slice(start, start + out.size(0))
    _outer(query[rows], key[rows], out)
    low = torch.finfo(out.dtype).min
    out.diagonal(offset=start, dim1=0, dim2=2).fill_(low)
    out.diagonal(offset=start, dim1=0, dim2=3).fill_(low)
    out.diagonal(dim1=2, dim2=3).fill_(low)
    return out


class KeepMask:
    r"""Attention dropout's keep masks ``[rows, S, n, n]`` (1 keeps, 0
    drops), drawn for any block of rows from one SplitMix64 stream: score
    :math:`[s, i, j, k]` uses 16-bit quarter :math:`k \bmod 4` of word
    :math:`((s n + i) n + j) \lceil n/4 \rceil + \lfloor k/4 \rfloor`, so
    a mask does not depend on the block size, and the backward pass draws
    the forward's again. A coefficient is kept with probability
    :attr:`keep_probability`, :math:`1 - p` to :math:`2^{-16}`.

    Args:
        seed (int): the stream's 64-bit seed.
        dropout (float): drop probability :math:`p`.
        slabs (int): :math:`S`, subjects times heads.
        num_nodes (int): :math:`n`.
        rows (int): the largest block.
        like (Tensor): the masks' dtype and device.
    """
    def __init__(self, seed: int, dropout: float, slabs: int, num_nodes: int,
                 rows: int, like: Tensor):
        n, words = num_nodes, -(-num_nodes // 4)
        self.row_words = n * words
        index = torch.arange(rows * n * words, device=like.device).view(rows, 1, n, words)
        slab = torch.arange(slabs, device=like.device).view(1, slabs, 1, 1)
        self.index = (index + slab * (n * n * words)).mul_(GOLDEN_GAMMA).add_(seed)
        self.state = torch.empty_like(self.index)
        self.scratch = torch.empty_like(self.index)
        dropped = round(dropout * (1 << 16))
        self.threshold = dropped - (1 << 15)
        self.keep_probability = 1 - dropped / (1 << 16)
        self.mask = like.new_empty(rows, slabs, n, n)
        self.num_nodes = n

    def __call__(self, start: int, stop: int) -> Tensor:
        r"""The keep mask of rows ``start:stop``."""
        block = slice(0, stop - start)
        # Row i's words start i n ceil(n/4) after row 0's, slab for slab.
        first = as_int64(start * self.row_words * GOLDEN_GAMMA)
        state = torch.add(self.index[block], first, out=self.state[block])
        splitmix64_(state, self.scratch[block])
        quarters = state.view(torch.int16)[..., :self.num_nodes]
        return torch.ge(quarters, self.threshold, out=self.mask[block])


def _keep_mask(seed: Optional[int], dropout: float, query: Tensor,
               rows: int) -> Optional[KeepMask]:
    if dropout == 0:
        return None
    if seed is None:
        raise ValueError("attention dropout needs a stream seed, got None")
    return KeepMask(seed, dropout, query.size(1), query.size(0), rows, query)


def _blocks(num_nodes: int, slabs: int):
    rows = max(1, BLOCK_ELEMENTS // (slabs * num_nodes * num_nodes))
    return rows, [(start, min(num_nodes, start + rows)) for start in range(0, num_nodes, rows)]


class LineGraphAttention(torch.autograd.Function):
    r"""Attention over the line graph of :math:`K_n` from ``[B, H, n, n, C]``
    matrices of (scaled) queries, keys and values; the output has the same
    shape and is symmetric (``[i, j]`` = dual node :math:`\{i, j\}`).

    Row ``[i, j]`` of the ``[n, n, n]`` logits holds dual node :math:`\{i,
    j\}`'s logits over its neighbours :math:`\{i, k\}`; its neighbours
    :math:`\{j, k\}` are row ``[j, i]``: its softmax runs over both rows.
    Both passes work a block of rows at a time and keep only ``[n, n]``
    summaries (each row's maximum and softmax normaliser), recomputing the
    logits in the backward pass. Dropout zeroes coefficients (each dual edge
    independently, :class:`KeepMask` with seed ``seed``) and rescales by
    :math:`1/(1-p)`.
    """

    @staticmethod
    def forward(ctx, query: Tensor, key: Tensor, value: Tensor, dropout: float,
                seed: Optional[int]) -> Tensor:
        r"""The ``[B, H, n, n, C]`` outputs."""
        shape = query.shape
        # Rows first: [n, S, n, C], so a block of rows is contiguous.
        query, key, value = (t.flatten(0, 1).transpose(0, 1).contiguous()
                             for t in (query, key, value))
        n, slabs = query.size(0), query.size(1)
        rows, blocks = _blocks(n, slabs)
        logits, scratch = (query.new_empty(rows, slabs, n, n) for _ in range(2))
        keep = _keep_mask(seed, dropout, query, rows)
        kept_share = 1. if keep is None else keep.keep_probability
        shift, total = (query.new_empty(n, slabs, n) for _ in range(2))
        summed = torch.empty_like(value)
        for start, stop in blocks:
            block = slice(start, stop)
            scores = _logits(query, key, start, logits[:stop - start])
            torch.amax(scores, -1, out=shift[block])
            scores.sub_(shift[block].unsqueeze(-1)).exp_()
            torch.sum(scores, -1, out=total[block])
            if keep is not None:
                scores.mul_(keep(start, stop))
            _apply(scores, value[block], summed[block], scratch[:stop - start])
        # Row [i, j]'s share of its dual node's normaliser, in its own shift
        # (an overflow to inf means the row's coefficients are all ~0).
        norm = total + total.transpose(0, 2) * (shift.transpose(0, 2) - shift).exp()
        norm = norm.mul_(kept_share).unsqueeze(-1)
        half = summed / norm
        out = half + half.transpose(0, 2)
        ctx.save_for_backward(query, key, value, shift, norm, out)
        ctx.dropout, ctx.kept_share, ctx.seed, ctx.shape = dropout, kept_share, seed, shape
        return out.transpose(0, 1).reshape(shape)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor) -> Tuple[Optional[Tensor], ...]:
        """Gradients of the queries, keys and values."""
        query, key, value, shift, norm, out = ctx.saved_tensors
        n, slabs = query.size(0), query.size(1)
        grad = grad_out.flatten(0, 1).transpose(0, 1)
        # Both rows of a dual node feed its output; per row, over its norm.
        grad_half = (grad + grad.transpose(0, 2)) / norm
        # d loss / d logit = coefficient (keep * grad_half . value - grad . out).
        through_norm = (grad_half * out).sum(-1).mul_(ctx.kept_share).unsqueeze(-1)
        rows, blocks = _blocks(n, slabs)
        exps, kept, dlogits, scratch = (query.new_empty(rows, slabs, n, n) for _ in range(4))
        keep = _keep_mask(ctx.seed, ctx.dropout, query, rows)
        grads = [torch.empty_like(t) for t in (query, key, value)]
        for start, stop in blocks:
            block, size = slice(start, stop), stop - start
            exp = _logits(query, key, start, exps[:size])
            exp.sub_(shift[block].unsqueeze(-1)).exp_()
            dlogit = _outer(grad_half[block], value[block], dlogits[:size])
            if keep is not None:
                mask = keep(start, stop)
                dlogit.mul_(mask)
                exp_kept = torch.mul(exp, mask, out=kept[:size])
            else:
                exp_kept = exp
            dlogit.sub_(through_norm[block]).mul_(exp)
            _apply_t(exp_kept, grad_half[block], grads[2][block], scratch[:size])
            _apply(dlogit, key[block], grads[0][block], scratch[:size])
            _apply_t(dlogit, query[block], grads[1][block], scratch[:size])
        return (*(g.transpose(0, 1).reshape(ctx.shape) for g in grads), None, None)
