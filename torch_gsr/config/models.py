r"""The options of every model family: one frozen dataclass each, with the
``paper`` and ``recommended`` presets as instances, and
:func:`resolve_config`, which starts from a preset and applies explicit
options. Why each recommended value differs from the paper's is in
``docs/presets.md``."""
from dataclasses import dataclass, fields, replace
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

NODE_FEATURES = ('identity', 'adjacency')
GENERATORS = ('gsr_net', 'released')
DEFAULT_PRESET = 'recommended'
#: The names every model family has a preset of.
PRESET_NAMES = ('paper', 'recommended')


def _check_positive_int(name: str, value: Any, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        prefix = 'None or ' if optional else ''
        raise ValueError(f"{name} must be {prefix}an int >= 1, got {value!r}")


def _check_non_negative(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")


def _check_activation(act: Any) -> None:
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


@dataclass(frozen=True)
class GSRConfig:
    r"""Options of GSR-Net and its three ablations
    (:class:`~torch_gsr.nn.GSRNet`, :class:`~torch_gsr.nn.GSRLayerOnly`,
    :class:`~torch_gsr.nn.DeepGSR`, :class:`~torch_gsr.nn.GSRAutoencoder`);
    each is documented in :class:`~torch_gsr.nn.GSRModel`. The defaults are
    the ``recommended`` preset's. ``lr_top_k``'s upper bound depends on the
    LR node count, so the model checks it.
    """
    hidden_channels: Optional[int] = None
    pool_ratios: Tuple[float, ...] = (0.9, 0.7)
    lambda_rec: float = 0.1
    sign_invariant_eig: bool = False
    dropout: float = 0.
    node_features: str = 'adjacency'
    normalize_gsr: bool = True
    spectral: bool = False
    act: str = 'elu'
    lr_top_k: Optional[int] = None
    root_weight: bool = True
    mean_residual: bool = True
    generator: str = 'gsr_net'

    def __post_init__(self):
        object.__setattr__(self, 'pool_ratios', tuple(self.pool_ratios))
        _check_positive_int('hidden_channels', self.hidden_channels, optional=True)
        _check_positive_int('lr_top_k', self.lr_top_k, optional=True)
        _check_non_negative(self, 'lambda_rec')
        if not 0 <= self.dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {self.dropout!r}")
        if self.node_features not in NODE_FEATURES:
            raise ValueError(f"node_features must be 'identity' or "
                             f"'adjacency', got {self.node_features!r}")
        _check_activation(self.act)
        if self.generator not in GENERATORS:
            raise ValueError(f"generator must be one of {GENERATORS}, got "
                             f"{self.generator!r}")
        if self.generator == 'released' and (self.mean_residual or self.lr_top_k
                                             is not None):
            raise ValueError("generator='released' has no mean_residual and no "
                             "lr_top_k: set them to False and None")


@dataclass(frozen=True)
class AGSRConfig(GSRConfig):
    r"""Options of :class:`~torch_gsr.nn.AGSRNet`: those of
    :class:`GSRConfig` and the adversarial ones (documented in the model).
    """
    adv_weight: float = 0.01
    prior_std: float = 0.1
    noise_std: float = 0.
    disc_channels: Optional[int] = None

    def __post_init__(self):
        super().__post_init__()
        _check_non_negative(self, 'adv_weight', 'prior_std', 'noise_std')
        if self.disc_channels is not None and (
                isinstance(self.disc_channels, bool)
                or not isinstance(self.disc_channels, int) or self.disc_channels < 1):
            raise ValueError(f"disc_channels must be None or an int >= 1, got "
                             f"{self.disc_channels!r}")


@dataclass(frozen=True)
class STPConfig:
    r"""Options of :class:`~torch_gsr.nn.STPGSR` (documented in the model);
    ``init_heads``' upper bound is the HR node count, which the model
    checks."""
    init_heads: int = 4
    dual_channels: Tuple[int, ...] = (16,)
    dropout: float = 0.
    structured: bool = True
    residual: bool = True

    def __post_init__(self):
        object.__setattr__(self, 'dual_channels', tuple(self.dual_channels))
        if isinstance(self.init_heads, bool) or not isinstance(self.init_heads, int) \
                or self.init_heads < 1:
            raise ValueError(f"init_heads must be an int in [1, hr_nodes], got "
                             f"{self.init_heads!r}")
        for width in self.dual_channels:
            _check_positive_int('every dual_channels entry', width)
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")


@dataclass(frozen=True)
class NodeMapConfig:
    r"""Options of :class:`~torch_gsr.nn.NodeMapGSR` (documented in the
    model; the same in both presets)."""
    map_decay: float = 1e-5
    ridge_blend: bool = True
    softmax_map: bool = True

    def __post_init__(self):
        _check_non_negative(self, 'map_decay')


#: GSR-Net as released (basiralab/GSR-Net at bb54332), its defects fixed
#: (``docs/models/gsr_net.md``): its own generator, four U-Net levels.
PAPER_GSR = GSRConfig(lambda_rec=16., pool_ratios=(0.9, 0.7, 0.6, 0.5),
                      node_features='identity', spectral=True, act='relu',
                      root_weight=False, mean_residual=False, generator='released')
RECOMMENDED_GSR = GSRConfig()
#: AGSR-Net as released (basiralab/AGSR-Net at 73d5bc8): its own generator,
#: ``lambda_rec`` and adversarial settings.
PAPER_AGSR = AGSRConfig(lambda_rec=0.1, pool_ratios=(0.9, 0.7, 0.6, 0.5),
                        node_features='identity', spectral=True, act='relu',
                        root_weight=False, mean_residual=False,
                        adv_weight=1., noise_std=0.1, generator='released')
RECOMMENDED_AGSR = AGSRConfig()
#: STP-GSR as released (basiralab/STP-GSR at 239abd9).
PAPER_STP = STPConfig(dual_channels=(), dropout=0.2, structured=False, residual=False)
RECOMMENDED_STP = STPConfig()
PAPER_NODE_MAP = RECOMMENDED_NODE_MAP = NodeMapConfig()

#: Each model family's presets by name.
MODEL_PRESETS: Dict[type, Dict[str, Any]] = {
    GSRConfig: dict(paper=PAPER_GSR, recommended=RECOMMENDED_GSR),
    AGSRConfig: dict(paper=PAPER_AGSR, recommended=RECOMMENDED_AGSR),
    STPConfig: dict(paper=PAPER_STP, recommended=RECOMMENDED_STP),
    NodeMapConfig: dict(paper=PAPER_NODE_MAP, recommended=RECOMMENDED_NODE_MAP),
}

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
