r"""The 0.2.0 preset tables, kept for the code that still reads them while
the package moves to :mod:`torch_gsr.config` (to be removed): the model
tables hold the values of the dataclass instances in
:mod:`torch_gsr.config.models` (``tests/test_config_models.py``), ``'fit'``
those of :mod:`torch_gsr.config.fit`. The reasons behind each value are in
``docs/presets.md``."""
from typing import Dict

PAPER_MODEL = dict(hidden_channels=None, pool_ratios=(0.9, 0.7), lambda_rec=16.,
                   sign_invariant_eig=False, dropout=0., node_features='identity',
                   normalize_gsr=True, spectral=True, act='relu',
                   lr_top_k=None, root_weight=False, mean_residual=False)

RECOMMENDED_MODEL = dict(PAPER_MODEL, lambda_rec=0.1, node_features='adjacency',
                         spectral=False, act='elu', root_weight=True,
                         mean_residual=True)
ADVERSARIAL = dict(adv_weight=1., prior_std=0.1, noise_std=0.1,
                   disc_channels=None)
PAPER_STP = dict(init_heads=4, dual_channels=(), dropout=0.2, structured=False)

# NodeMapGSR's options (chosen on SyntheticConnectomes, see its docstring).
NODE_MAP_MODEL = dict(map_decay=1e-5, ridge_blend=True)

PRESETS: Dict[str, Dict[str, dict]] = {
    'paper': {
        'model': PAPER_MODEL,
        'agsr': dict(PAPER_MODEL, pool_ratios=(0.9, 0.7, 0.6, 0.5),
                     lambda_rec=0.1, **ADVERSARIAL),
        'stp': PAPER_STP,
        'node_map': NODE_MAP_MODEL,
        'fit': dict(learning_rate=1e-4, batch_size=1, epochs=200, weight_decay=0.,
                    updates=None, val_fraction=0., patience=None,
                    stop_after=0., schedule='constant'),
    },
    'recommended': {
        'model': RECOMMENDED_MODEL,
        'agsr': dict(RECOMMENDED_MODEL, adv_weight=0.01, prior_std=0.1,
                     noise_std=0., disc_channels=None),
        'stp': dict(PAPER_STP, dropout=0., structured=True),
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
