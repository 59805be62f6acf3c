r"""Counter-based random bits: SplitMix64 (Steele, Lea & Flood, OOPSLA
2014) evaluated on whole tensors of counters.

Random bit :math:`t` of a stream is a pure function of its seed and
:math:`t`, so a large mask can be drawn piece by piece, in any order, and
drawn again in the backward pass instead of being stored.
:func:`torch.rand` draws serially from one Mersenne Twister; these are a
few vectorised integer passes.
"""
from typing import Optional

import torch
from torch import Tensor

_TWO_64 = 1 << 64


def as_int64(value: int) -> int:
    r"""``value`` modulo :math:`2^{64}`, as a signed (two's complement)
    64-bit integer."""
    value %= _TWO_64
    return value - _TWO_64 if value >= 1 << 63 else value


#: SplitMix64's state increment and finaliser multipliers.
GOLDEN_GAMMA = as_int64(0x9E3779B97F4A7C15)
_MIX = ((30, as_int64(0xBF58476D1CE4E5B9)), (27, as_int64(0x94D049BB133111EB)), (31, None))


def random_seed(generator: Optional[torch.Generator] = None) -> int:
    r"""A 64-bit stream seed drawn from ``generator`` (the default one
    when ``None``), so ``torch.manual_seed`` fixes every stream."""
    return int(torch.randint(-(1 << 63), (1 << 63) - 1, (), dtype=torch.int64,
                             generator=generator))


def splitmix64_(state: Tensor, scratch: Tensor) -> Tensor:
    r"""SplitMix64's output function, in place on an ``int64`` tensor of
    states :math:`s_t = \text{seed} + t \gamma` (wrapping): uniform 64-bit
    words. ``scratch`` has ``state``'s shape and dtype."""
    for shift, multiplier in _MIX:
        # int64 shifts are arithmetic: masking the sign copies off makes
        # them the logical shifts of the unsigned original.
        torch.bitwise_right_shift(state, shift, out=scratch)
        state.bitwise_xor_(scratch.bitwise_and_((1 << (64 - shift)) - 1))
        if multiplier is not None:
            state.mul_(multiplier)
    return state
