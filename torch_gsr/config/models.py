r"""What every model family's options share: the checks of their values,
the registry of presets (:data:`MODEL_PRESETS`, filled where each model and
its configuration dataclass are defined) and :func:`resolve_config`, which
starts from a preset and applies explicit options. Why each recommended
value differs from the paper's is in ``docs/presets.md``."""
from dataclasses import fields, replace
from typing import Any, Dict, Tuple, Type, TypeVar

DEFAULT_PRESET = 'recommended'
#: The names every model family has a preset of.
PRESET_NAMES = ('paper', 'recommended')


def check_positive_int(name: str, value: Any, optional: bool = False) -> None:
    r"""A ``ValueError`` unless ``value`` is an int >= 1 (or, ``optional``,
    :obj:`None`)."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        prefix = 'None or ' if optional else ''
        raise ValueError(f"{name} must be {prefix}an int >= 1, got {value!r}")


def check_non_negative(config: Any, *names: str) -> None:
    r"""A ``ValueError`` naming the first of ``config``'s ``names`` below 0."""
    for name in names:
        value = getattr(config, name)
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")


def check_activation(act: Any) -> None:
    r"""A ``ValueError`` unless ``act`` is an activation name."""
    # The names PyG's resolver knows; torch_gsr.nn.resolve_activation reads
    # them the same way (plus 'identity').
    from torch_geometric.nn.resolver import activation_resolver
    if act == 'identity':
        return
    try:
        if not isinstance(act, str):
            raise ValueError
        activation_resolver(act)
    except ValueError:
        raise ValueError(f"act must be an activation name such as 'relu', "
                         f"'leaky_relu', 'elu', 'tanh' or 'identity', "
                         f"got {act!r}") from None



#: Each model family's presets by name: filled where the models are defined
#: (:func:`register_presets`, through ``preset_options(Config, presets)``).
MODEL_PRESETS: Dict[type, Dict[str, Any]] = {}

Config = TypeVar('Config')


def register_presets(cls: type, presets: Dict[str, Any]) -> None:
    r"""Adds configuration class ``cls`` and its ``presets`` (name ->
    instance, ``'recommended'`` among them) to :data:`MODEL_PRESETS`: how a
    model defined outside the package (a plugin) brings its presets."""
    if not hasattr(cls, '__dataclass_fields__'):
        raise TypeError(f"{cls!r} is not a dataclass")
    if 'recommended' not in presets or not all(isinstance(p, cls) for p in presets.values()):
        raise ValueError(f"the presets of {cls.__name__} must be instances of it, "
                         f"'recommended' among them; got {sorted(presets)}")
    if MODEL_PRESETS.get(cls, presets) != presets:
        raise ValueError(f"{cls.__name__} has other presets already")
    MODEL_PRESETS[cls] = dict(presets)


def option_names(cls: type) -> Tuple[str, ...]:
    r"""The option names of configuration class ``cls``, in field order."""
    return tuple(field.name for field in fields(cls))


def resolve_config(cls: Type[Config], preset: str = DEFAULT_PRESET,
                   **explicit: Any) -> Config:
    r"""Preset ``preset``'s instance of ``cls`` with the ``explicit`` options
    replaced (and checked again).

    Raises:
        ValueError: an unknown preset, or an option value the config rejects.
        TypeError: an option ``cls`` does not have (the error names them all).
    """
    if cls not in MODEL_PRESETS:
        raise TypeError(f"{cls!r} is not a model configuration; expected one "
                        f"of {[c.__name__ for c in MODEL_PRESETS]}")
    presets = MODEL_PRESETS[cls]
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r}; expected one of "
                         f"{sorted(presets)}")
    unknown = sorted(set(explicit) - set(option_names(cls)))
    if unknown:
        raise TypeError(f"unknown model option(s) {unknown}; the options of "
                        f"{cls.__name__} are {sorted(option_names(cls))}")
    return replace(presets[preset], **explicit)
