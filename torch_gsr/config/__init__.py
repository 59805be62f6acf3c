r"""What every configuration shares: :func:`~torch_gsr.train.fit`'s
settings (:class:`FitConfig` and the package's two fit presets) and the
registry of model presets (:data:`MODEL_PRESETS`, :func:`resolve_config`).
Each model's own options dataclass and presets live with the model in
:mod:`torch_gsr.nn` (e.g. ``torch_gsr.nn.GSRConfig``, ``PAPER_GSR``).
Nothing here imports the rest of the package."""
from .fit import GSR_PAPER_FIT, PAPER_FIT, RECOMMENDED_FIT, FitConfig
from .models import (
    DEFAULT_PRESET,
    MODEL_PRESETS,
    PRESET_NAMES,
    option_names,
    register_presets,
    resolve_config,
)

__all__ = [
    'FitConfig', 'PAPER_FIT', 'GSR_PAPER_FIT', 'RECOMMENDED_FIT',
    'MODEL_PRESETS', 'PRESET_NAMES', 'DEFAULT_PRESET', 'resolve_config', 'option_names',
    'register_presets',
]
