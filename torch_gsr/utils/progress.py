r"""One progress channel for every long phase (data, spectra, training,
prediction, evaluation, centralities).

A phase shows **either** a tqdm bar (when standard error is a terminal)
**or** one line per step (otherwise, e.g. in a log file or under CI: no
carriage-return junk), never both for the same event. Lines go to standard
error, or to a ``log`` callable when one is given (then there is no bar).
Warnings are not progress: they go through :mod:`warnings`.
"""
import sys
import time
from typing import Callable, Iterable, Iterator, Optional, TypeVar

from tqdm.auto import tqdm

T = TypeVar('T')

#: In line mode, steps closer together than this many seconds share a line
#: (the first and the last step always get one: when a phase starts and
#: how long it is, and that it ended), so a fast loop over subjects does not
#: flood a log. Epochs pass ``every=0``: one line each.
LINE_INTERVAL = 2.


def _stderr_line(message: str) -> None:
    # tqdm.write keeps an active bar (e.g. an outer one) intact.
    tqdm.write(message, file=sys.stderr)


def note(message: str, enabled: bool = True,
         log: Optional[Callable[[str], None]] = None) -> None:
    r"""Writes one status line (not a step of a bar), e.g. which phase
    starts; to ``log`` if given, else to standard error."""
    if enabled:
        (log or _stderr_line)(message)


class Progress:
    r"""Progress of ``total`` steps of a phase called ``desc``.

    Args:
        total (int): number of steps.
        desc (str): the phase, e.g. ``"epochs"`` or ``"spectra"``.
        enabled (bool): ``False`` shows nothing.
        log (callable, optional): receives one line per step instead of a
            bar being drawn (e.g. :func:`print` or ``logger.info``).
        every (float): in line mode, the least number of seconds between
            two lines (see :obj:`LINE_INTERVAL`).
        initial (int): steps already done before (e.g. a resumed run's
            epochs); shown by the bar, not as a line.
        fractional (bool): the bar also moves within a step
            (:meth:`advance`, e.g. per batch of an epoch) and counts steps
            to one decimal.
    """
    def __init__(self, total: int, desc: str, enabled: bool = True,
                 log: Optional[Callable[[str], None]] = None,
                 every: float = LINE_INTERVAL, initial: int = 0,
                 fractional: bool = False):
        self.total, self.desc, self.every = total, desc, every
        self.initial = self.done = initial
        self.partial = 0.
        self.last_line = time.perf_counter()
        self.log = log if log is not None else _stderr_line
        self.bar = None
        self.lines = enabled and (log is not None or not sys.stderr.isatty())
        if enabled and not self.lines:
            fraction = ('{l_bar}{bar}| {n:.1f}/{total_fmt} '
                        '[{elapsed}<{remaining}{postfix}]') if fractional else None
            self.bar = tqdm(total=total, desc=desc, initial=initial, leave=False,
                            file=sys.stderr, bar_format=fraction)

    def step(self, message: str = '', count: int = 1) -> None:
        r"""Marks ``count`` more steps done; ``message`` (e.g. the loss)
        goes on the bar or the line."""
        self.done += count
        if self.bar is not None:
            if message:
                self.bar.set_postfix_str(message, refresh=False)
            self.bar.update(count - self.partial)
            self.partial = 0.
        elif self.lines:
            now = time.perf_counter()
            first = self.done - count == self.initial
            if first or now - self.last_line >= self.every or \
                    self.done >= self.total:
                self.last_line = now
                suffix = f': {message}' if message else ''
                self.log(f'{self.desc} {self.done}/{self.total}{suffix}')

    def advance(self, fraction: float) -> None:
        r"""Moves the bar by ``fraction`` of the current step, which
        :meth:`step` then completes (lines show whole steps only)."""
        if self.bar is not None:
            self.partial += fraction
            self.bar.update(fraction)

    def close(self) -> None:
        r"""Removes the bar (line mode has nothing to close)."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> 'Progress':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def track(iterable: Iterable[T], desc: str, total: Optional[int] = None,
          enabled: bool = True, log: Optional[Callable[[str], None]] = None,
          every: float = LINE_INTERVAL) -> Iterator[T]:
    r"""Yields the items of ``iterable``, one :class:`Progress` step each."""
    total = total if total is not None else len(iterable)  # type: ignore
    with Progress(total, desc, enabled, log, every) as progress:
        for item in iterable:
            yield item
            progress.step()
