r"""The registry of models: :func:`register_model` where a model is defined,
the read-only :data:`MODELS` it fills, :func:`build_model`, which rebuilds
a model from its :meth:`~SuperResolutionModel.get_config`, and the models
of other packages (:func:`load_plugins`, :func:`import_plugin`)."""
import importlib
import importlib.util
import os.path as osp
import sys
from dataclasses import fields
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Dict, List, Mapping, Type, TypeVar

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


#: The entry point group under which installed packages name the modules
#: (or classes) that register their models.
ENTRY_POINT_GROUP = 'torch_gsr.models'


def load_plugins() -> List[str]:
    r"""Imports every entry point of :data:`ENTRY_POINT_GROUP` (importing
    a model's module registers it); returns the names :data:`MODELS` gained.
    A plugin that fails to import raises an ``ImportError`` naming it."""
    before = set(_MODELS)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            point.load()
        except Exception as error:  # a broken plugin: say which
            raise ImportError(f"the torch_gsr plugin {point.name!r} ({point.value}) "
                              f"failed to import: {error}") from error
    return sorted(set(_MODELS) - before)


def import_plugin(spec: str) -> List[str]:
    r"""Imports the module ``spec``, a module name or a ``.py`` file, whose
    models register themselves; returns the names :data:`MODELS` gained.
    An unknown module or file is an ``ImportError`` naming it."""
    before = set(_MODELS)
    if spec.endswith('.py'):
        if not osp.isfile(spec):
            raise ImportError(f"{spec}: no such plugin file")
        name = f'torch_gsr_plugin_{osp.splitext(osp.basename(spec))[0]}'
        if getattr(sys.modules.get(name), '__file__', None) == osp.abspath(spec):
            return []  # imported before: its models are registered
        module_spec = importlib.util.spec_from_file_location(name, osp.abspath(spec))
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module  # dataclasses and pickling look modules up
        module_spec.loader.exec_module(module)
    else:
        try:
            importlib.import_module(spec)
        except ModuleNotFoundError as error:
            raise ImportError(f"{spec}: no such plugin module ({error})") from error
    return sorted(set(_MODELS) - before)


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
        load_plugins()  # a checkpoint of an installed package's model
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
