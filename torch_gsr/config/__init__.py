r"""Typed configurations: frozen dataclasses of every model family's options
and of :func:`~torch_gsr.train.fit`'s settings, with the ``paper`` and
``recommended`` presets as instances. Nothing here imports the rest of the
package."""
from .fit import PAPER_FIT, RECOMMENDED_FIT, FitConfig

__all__ = ['FitConfig', 'PAPER_FIT', 'RECOMMENDED_FIT']
