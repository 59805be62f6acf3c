r"""The registry of models: :func:`register_model` where a model is defined,
the read-only :data:`MODELS` it fills, and :func:`build_model`, which
rebuilds a model from its :meth:`~SuperResolutionModel.get_config`."""
from dataclasses import fields
from types import MappingProxyType
from typing import Dict, Mapping, Type, TypeVar

from .base import SuperResolutionModel

Model = TypeVar('Model', bound=Type[SuperResolutionModel])

_MODELS: Dict[str, Type[SuperResolutionModel]] = {}
#: Every registered model class by name (read-only; :func:`register_model`
#: fills it).
MODELS: Mapping[str, Type[SuperResolutionModel]] = MappingProxyType(_MODELS)


def register_model(cls: Model) -> Model:
    r"""Class decorator: registers ``cls`` in :data:`MODELS` under its name,
    so :func:`build_model` and the checkpoints find it.

    Raises:
        TypeError: ``cls`` is not a :class:`SuperResolutionModel` with a
            dataclass ``config_class``.
        ValueError: another class is registered under the name.
    """
    if not (isinstance(cls, type) and issubclass(cls, SuperResolutionModel)):
        raise TypeError(f"register_model takes a SuperResolutionModel "
                        f"subclass, got {cls!r}")
    config_class = getattr(cls, 'config_class', None)
    if config_class is None or not hasattr(config_class, '__dataclass_fields__'):
        raise TypeError(f"{cls.__name__} needs a dataclass config_class")
    name = cls.__name__
    if _MODELS.get(name, cls) is not cls:
        raise ValueError(f"a model named {name!r} is already registered")
    _MODELS[name] = cls
    return cls


def build_model(config: dict) -> SuperResolutionModel:
    r"""Rebuilds a model from ``config``, a
    :meth:`~SuperResolutionModel.get_config` dictionary of this version
    (older checkpoints are upgraded by :mod:`torch_gsr.train`).

    Raises:
        ValueError: an unknown model name.
        TypeError: a missing or unknown option (all of them named).
    """
    config = dict(config)
    if 'name' not in config:
        raise TypeError(f"the model config has no 'name' (keys: {sorted(config)})")
    name = config.pop('name')
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of "
                         f"{sorted(MODELS)}")
    cls = MODELS[name]
    expected = {'lr_nodes', 'hr_nodes'} | {f.name for f in fields(cls.config_class)}
    missing, unknown = sorted(expected - set(config)), sorted(set(config) - expected)
    if missing or unknown:
        raise TypeError(f"the config of {name} lacks {missing} and has unknown "
                        f"keys {unknown}; it takes {sorted(expected)}")
    return cls(**config)
