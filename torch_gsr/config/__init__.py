r"""Typed configurations: frozen dataclasses of every model family's options
and of :func:`~torch_gsr.train.fit`'s settings, with the ``paper`` and
``recommended`` presets as instances. Nothing here imports the rest of the
package."""
from .fit import PAPER_FIT, RECOMMENDED_FIT, STP_PAPER_FIT, FitConfig
from .models import (
    DEFAULT_PRESET,
    MODEL_PRESETS,
    PAPER_AGSR,
    PAPER_GSR,
    PAPER_NODE_MAP,
    PAPER_STP,
    PRESET_NAMES,
    RECOMMENDED_AGSR,
    RECOMMENDED_GSR,
    RECOMMENDED_NODE_MAP,
    RECOMMENDED_STP,
    AGSRConfig,
    GSRConfig,
    NodeMapConfig,
    STPConfig,
    option_names,
    resolve_config,
)

__all__ = [
    'FitConfig', 'PAPER_FIT', 'RECOMMENDED_FIT', 'STP_PAPER_FIT',
    'GSRConfig', 'AGSRConfig', 'STPConfig', 'NodeMapConfig',
    'PAPER_GSR', 'RECOMMENDED_GSR', 'PAPER_AGSR', 'RECOMMENDED_AGSR',
    'PAPER_STP', 'RECOMMENDED_STP', 'PAPER_NODE_MAP', 'RECOMMENDED_NODE_MAP',
    'MODEL_PRESETS', 'PRESET_NAMES', 'DEFAULT_PRESET', 'resolve_config', 'option_names',
]
