r"""The 0.2.0 preset tables, kept for the code that still reads them while
the package moves to :mod:`torch_gsr.config` (to be removed): the model
tables are the dataclass instances of :mod:`torch_gsr.config.models` as
dictionaries; ``'fit'`` is as in 0.2.0. The reasons behind each value are in
``docs/presets.md``."""
from dataclasses import asdict
from typing import Dict

from .config import models as _models

PAPER_MODEL = asdict(_models.PAPER_GSR)
RECOMMENDED_MODEL = asdict(_models.RECOMMENDED_GSR)
PAPER_STP = asdict(_models.PAPER_STP)
NODE_MAP_MODEL = asdict(_models.PAPER_NODE_MAP)

PRESETS: Dict[str, Dict[str, dict]] = {
    'paper': {
        'model': PAPER_MODEL,
        'agsr': asdict(_models.PAPER_AGSR),
        'stp': PAPER_STP,
        'node_map': NODE_MAP_MODEL,
        'fit': dict(learning_rate=1e-4, batch_size=1, epochs=200, weight_decay=0.,
                    updates=None, val_fraction=0., patience=None,
                    stop_after=0., schedule='constant'),
    },
    'recommended': {
        'model': RECOMMENDED_MODEL,
        'agsr': asdict(_models.RECOMMENDED_AGSR),
        'stp': asdict(_models.RECOMMENDED_STP),
        'node_map': NODE_MAP_MODEL,
        'fit': dict(learning_rate=3e-3, batch_size=8, epochs=None, weight_decay=0.,
                    updates=600, val_fraction=0.1, patience=10,
                    stop_after=0.5, schedule='cosine'),
    },
}

DEFAULT_PRESET = 'recommended'


def get_preset(name: str = DEFAULT_PRESET) -> Dict[str, dict]:
    """Returns a copy of preset ``name``'s ``{'model': ..., 'fit': ...}``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of "
                         f"{sorted(PRESETS)}")
    return {part: dict(options) for part, options in PRESETS[name].items()}


def model_options(preset: str = DEFAULT_PRESET, family: str = 'model',
                  **overrides) -> dict:
    """Every option of model family ``family`` (``'model'`` for GSR-Net and
    its variants, ``'agsr'``, ``'stp'``, ``'node_map'``): preset ``preset``'s,
    with ``overrides`` applied.

    Raises:
        TypeError: an override that is not a model option.
    """
    parts = get_preset(preset)
    if family not in parts:
        raise ValueError(f"preset {preset!r} holds no options for model family "
                         f"{family!r} (it has {sorted(parts)})")
    options = parts[family]
    unknown = sorted(set(overrides) - set(options))
    if unknown:
        raise TypeError(f"unknown model option(s) {unknown}; the options are "
                        f"{sorted(options)}")
    options.update(overrides)
    return options
