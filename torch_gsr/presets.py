r"""Named configurations: the one place where every default lives.

``"paper"`` reproduces GSR-Net as published: the paper's settings where it
gives them, the released code's where it is silent. ``"recommended"`` is
the package default: the same architecture with four switches and a faster
optimiser schedule that let it learn subject-specific structure (see the
README, "Why the recommended preset differs from the paper").

=====================  ==================  ==================  ==============
option                 ``paper``           ``recommended``     source (paper)
=====================  ==================  ==================  ==============
``hidden_channels``    ``None`` (``P``)    ``None`` (``P``)    paper, sec. 3
``pool_ratios``        ``(0.9, 0.7)``      ``(0.9, 0.7)``      released code
``lambda_rec``         16                  0.1                 paper, sec. 3
``sign_invariant_eig`` False               False               paper
``dropout``            0                   0                   released code
``node_features``      ``'identity'``      ``'adjacency'``     paper, sec. 2
``normalize_gsr``      True                True                released code
``spectral``           True                False               paper, sec. 2
``act``                ``'relu'``          ``'leaky_relu'``    paper's sigma [1]_
``learning_rate``      1e-4                3e-3                paper, sec. 3
``batch_size``         1                   8                   released code
``epochs``             200                 ``None`` (budget)   released code
``updates``            ``None``            600                 this package
``val_fraction``       0                   0.1                 this package
``patience``           ``None``            10                  this package
``schedule``           ``'constant'``      ``'cosine'``        this package
``weight_decay``       0                   0                   released code
=====================  ==================  ==================  ==============

How the recommended training adapts to the data set
(:func:`torch_gsr.train.fit`): a seeded 10% of the training subjects is held
out for validation; ``epochs=None`` trains for an **update budget**
(``updates`` optimiser steps, so ``ceil(updates / batches per epoch)`` epochs:
many epochs for small data sets, few for large ones, about the same compute
for any size); the learning rate decays along a cosine from
``learning_rate`` to 0 over that budget; training stops after ``patience``
epochs without a lower validation HR loss, and the weights of the best
validation epoch are restored. :class:`~torch_gsr.train.History` records
what happened (planned and run epochs, best epoch, the learning rate of
every epoch). These defaults were chosen on
:class:`~torch_gsr.datasets.SyntheticConnectomes` only; the other generators
(:mod:`torch_gsr.datasets.smooth_fields`,
:mod:`torch_gsr.datasets.wiring`) are held out to check them
(``benchmarks/accuracy.py``).

:class:`~torch_gsr.nn.NodeMapGSR` is not in the paper; its options are in
``'node_map'`` (the same in both presets).

.. [1] The paper writes an unspecified activation sigma; ReLU is this
   package's reading of it (the released code's GCNs apply none).
"""
from typing import Dict

PAPER_MODEL = dict(hidden_channels=None, pool_ratios=(0.9, 0.7), lambda_rec=16.,
                   sign_invariant_eig=False, dropout=0., node_features='identity',
                   normalize_gsr=True, spectral=True, act='relu')

# NodeMapGSR's options (chosen on SyntheticConnectomes, see its docstring).
NODE_MAP_MODEL = dict(map_decay=1e-5)

PRESETS: Dict[str, Dict[str, dict]] = {
    'paper': {
        'model': PAPER_MODEL,
        'fit': dict(learning_rate=1e-4, batch_size=1, epochs=200, weight_decay=0.,
                    updates=None, val_fraction=0., patience=None,
                    schedule='constant'),
        'node_map': NODE_MAP_MODEL,
    },
    'recommended': {
        'model': dict(PAPER_MODEL, lambda_rec=0.1, node_features='adjacency',
                      spectral=False, act='leaky_relu'),
        'fit': dict(learning_rate=3e-3, batch_size=8, epochs=None, weight_decay=0.,
                    updates=600, val_fraction=0.1, patience=10,
                    schedule='cosine'),
        'node_map': NODE_MAP_MODEL,
    },
}

DEFAULT_PRESET = 'recommended'


def get_preset(name: str = DEFAULT_PRESET) -> Dict[str, dict]:
    """Returns a copy of preset ``name``'s ``{'model': ..., 'fit': ...}``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of "
                         f"{sorted(PRESETS)}")
    return {part: dict(options) for part, options in PRESETS[name].items()}


def model_options(preset: str = DEFAULT_PRESET, part: str = 'model',
                  **overrides) -> dict:
    """Every model option: preset ``preset``'s ``part`` (``'model'``, the
    GSR models', or ``'node_map'``), with ``overrides`` applied.

    Raises:
        TypeError: an override that is not a model option.
    """
    options = get_preset(preset)[part]
    unknown = sorted(set(overrides) - set(options))
    if unknown:
        raise TypeError(f"unknown model option(s) {unknown}; the options are "
                        f"{sorted(options)}")
    options.update(overrides)
    return options
