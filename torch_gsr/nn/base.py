r"""The contract every super-resolution model in :mod:`torch_gsr.nn` keeps:
what :mod:`torch_gsr.train` calls (and nothing else), reading the LR input in
any form a PyG pipeline holds, and building the model's configuration from a
preset and explicit options (:func:`preset_options`)."""
import functools
import inspect
from abc import ABC, abstractmethod
from dataclasses import asdict, fields
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple, TypeVar, Union, cast

import torch
from torch import Tensor
from torch_geometric.data import Data

from ..config import PAPER_FIT, RECOMMENDED_FIT, FitConfig
from ..config.models import MODEL_PRESETS, option_names, register_presets, resolve_config
from ..transforms.graph_super_resolution import GraphSuperResolution
from ..utils.sparse import dense_connectomes, lr_adj_of
from ..utils.validation import check_adjacency, check_eigvecs

Init = TypeVar('Init', bound=Callable[..., None])


def preset_options(config_class: type,
                   presets: Optional[Dict[str, Any]] = None) -> Callable[[Init], Init]:
    r"""Decorates a model's ``__init__(self, lr_nodes, hr_nodes, preset=...,
    *, <options>)``, whose keyword-only options are the fields of
    ``config_class`` with the ``recommended`` preset's values as defaults
    (checked when the class is defined). ``presets`` (name -> instance of
    ``config_class``) registers a new configuration's presets, e.g. a
    plugin's (:func:`~torch_gsr.config.models.register_presets`). The body receives every option
    resolved: the value passed explicitly if there is one, else preset
    ``preset``'s (:func:`~torch_gsr.config.resolve_config`). An unknown
    option raises a :class:`TypeError` that names the valid ones.

    Why a decorator: a signature default cannot tell ``lambda_rec=0.1``
    passed with ``preset='paper'`` from no ``lambda_rec`` at all, and a
    sentinel default would hide the value from :func:`help`. The wrapper
    sees the keywords as passed and keeps the signature
    (:func:`functools.wraps`), so :func:`inspect.signature` and IDEs show
    every option with its default.
    """
    if presets is not None:
        register_presets(config_class, presets)
    if config_class not in MODEL_PRESETS:
        raise TypeError(f"{config_class.__name__} has no presets: pass "
                        f"preset_options({config_class.__name__}, presets)")

    def decorate(init: Init) -> Init:
        signature = inspect.signature(init)
        options = [name for name, param in signature.parameters.items()
                   if param.kind is inspect.Parameter.KEYWORD_ONLY]
        recommended = MODEL_PRESETS[config_class]['recommended']
        if sorted(options) != sorted(option_names(config_class)) or any(
                signature.parameters[name].default != getattr(recommended, name)
                for name in options):
            raise TypeError(f"{init.__qualname__} must take the options of "
                            f"{config_class.__name__} as keyword-only arguments "
                            f"with the recommended preset's values as defaults")

        @functools.wraps(init)
        def wrapper(self, *args: Any, **kwargs: Any) -> None:
            unknown = sorted(set(kwargs) - set(signature.parameters))
            if unknown:
                raise TypeError(f"unknown model option(s) {unknown}; the options "
                                f"of {type(self).__name__} are {sorted(options)}")
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            config: Any = resolve_config(config_class, bound.arguments['preset'],
                                    **{name: kwargs[name] for name in options
                                       if name in kwargs})
            bound.arguments.update({field.name: getattr(config, field.name)
                                    for field in fields(config)})
            init(*bound.args, **bound.kwargs)
        return cast(Init, wrapper)
    return decorate


class SuperResolutionModel(torch.nn.Module, ABC):
    r"""Base of the models: everything :func:`torch_gsr.train.fit`,
    :func:`~torch_gsr.train.predict` and the checkpoints rely on.

    A subclass sets ``lr_nodes``, ``hr_nodes`` and ``config`` (an instance of
    its ``config_class``, a frozen dataclass), is registered with
    :func:`~torch_gsr.nn.register_model`, and implements
    :meth:`super_resolve` (:meth:`forward` reads the input for it) and
    :meth:`loss` (starting with :meth:`read_target`). The hooks
    :meth:`initialize`, :meth:`after_fit` and :meth:`derived_state_keys` do
    nothing unless a model needs them.

    Attributes:
        spectral (bool): :meth:`forward` reads LR eigenvectors and
            :meth:`loss` HR ones, so :func:`~torch_gsr.train.fit` computes
            them once. (default: :obj:`False`)
        fit_presets (dict): the :class:`~torch_gsr.config.FitConfig` each
            preset name trains this model with.
        hr_spectral (bool): :meth:`loss` reads the padded HR eigenvectors
            (``hr_eigvecs``), so :func:`~torch_gsr.train.fit` computes them
            once. (default: :obj:`False`)
        monitor (str): the loss term early stopping watches on the
            validation subjects. (default: :obj:`'total'`)
        gives_intervals (bool): :meth:`interval_bounds` and
            :meth:`predict_intervals` work. (default: :obj:`False`)
    """
    lr_nodes: int
    hr_nodes: int
    config: Any
    config_class: ClassVar[type]
    spectral: bool = False
    hr_spectral: ClassVar[bool] = False
    monitor: ClassVar[str] = 'total'
    gives_intervals: ClassVar[bool] = False
    fit_presets: ClassVar[Dict[str, FitConfig]] = {'paper': PAPER_FIT,
                                                    'recommended': RECOMMENDED_FIT}

    def forward(self, lr_adj: Union[Tensor, Data, None] = None,
                lr_eigvecs: Optional[Tensor] = None, validate: bool = True, *,
                edge_index: Optional[Tensor] = None,
                edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None) -> Any:
        r"""Predicts HR connectomes from LR ones in any form a PyG pipeline
        holds (:meth:`read_input`), then :meth:`super_resolve`.

        Args:
            lr_adj (Tensor or Data): ``[B, N, N]`` or ``[N, N]`` LR
                connectomes, or a :class:`~torch_gsr.datasets.ConnectomePair`
                or :class:`~torch_geometric.data.Batch` of them (its
                ``lr_adj``, else its edges; its cached ``lr_eigvecs``).
            lr_eigvecs (Tensor, optional): ``[B, N, N]`` eigenvectors of the
                normalised LR adjacency, for ``spectral`` models.
            validate (bool): check that ``lr_adj`` is finite and symmetric.
                (default: :obj:`True`)
            edge_index (Tensor, optional): ``[2, E]`` LR edges (PyG batch
                numbering) instead of ``lr_adj``.
            edge_weight (Tensor, optional): ``[E]`` their weights.
            batch (Tensor, optional): ``[B * N]`` graph of each node.

        Returns:
            the model's output, whose ``hr_adj`` is ``[B, N_h, N_h]``.
        """
        lr_adj, lr_eigvecs = self.read_input(lr_adj, lr_eigvecs, validate,
                                             edge_index, edge_weight, batch)
        return self.super_resolve(lr_adj, lr_eigvecs)

    @abstractmethod
    def super_resolve(self, lr_adj: Tensor, lr_eigvecs: Optional[Tensor]) -> Any:
        r"""The one method a model writes: its output for checked
        ``[B, N_l, N_l]`` LR connectomes (and LR eigenvectors or
        :obj:`None`), whose ``hr_adj`` is ``[B, N_h, N_h]``."""

    @abstractmethod
    def loss(self, out: Any, hr_adj: Tensor, hr_eigvecs: Optional[Tensor] = None,
             validate: bool = True) -> Any:
        r"""A :class:`~typing.NamedTuple` of loss terms, ``total`` first (the
        one :func:`~torch_gsr.train.fit` minimises); its field names are the
        history's columns (``val_<name>`` on validation)."""

    def initialize(self, lr_adj: Tensor, hr_adj: Tensor,
                   groups: Optional[Tensor] = None) -> None:
        r"""Called by :func:`~torch_gsr.train.fit` before the first update
        with the training subjects, ``lr_adj`` ``[S, N_l, N_l]`` and
        ``hr_adj`` ``[S, N_h, N_h]``, and their ``[S]`` group numbers
        ``groups`` (:obj:`None`: each its own group), which a
        cross-validation inside keeps whole. Does nothing here."""

    def after_fit(self, lr_adj: Tensor, hr_adj: Tensor,
                  groups: Optional[Tensor] = None) -> Dict[str, float]:
        r"""Called by :func:`~torch_gsr.train.fit` once after training with
        the validation subjects (when there are) and their ``[S]`` group
        numbers, on the model's device; returns the figures to record in
        the history. Nothing here."""
        return {}

    def refit(self, lr_adj: Tensor, hr_adj: Tensor,
              groups: Optional[Tensor] = None) -> None:
        r"""Called by :func:`~torch_gsr.train.fit` last, after
        :meth:`after_fit`, when it held validation samples out of the
        training data: every training sample, validation ones included
        (``[S, N_l, N_l]``, ``[S, N_h, N_h]``, ``[S]`` group numbers or
        :obj:`None` as for :meth:`initialize`), to fit again what needed no
        validation. Does nothing here."""

    def interval_bounds(self, out: Any, coverage: float = 0.9) -> Tuple[Tensor, Tensor]:
        r"""``(lower, upper)`` ``[B, N_h, N_h]`` per-edge bounds of an output
        of :meth:`forward` holding a new subject's true edge with
        probability ``coverage``; a ``TypeError`` here (models that give
        intervals set ``gives_intervals``)."""
        raise TypeError(f"{type(self).__name__} gives no prediction intervals "
                        f"(models with gives_intervals=True do, e.g. EnsembleGSR)")

    @torch.no_grad()
    def predict_intervals(self, lr_adj: Union[Tensor, Data], coverage: float = 0.9,
                          lr_eigvecs: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        r""":meth:`interval_bounds` of the prediction for ``lr_adj`` (any
        input :meth:`forward` takes), in evaluation mode."""
        if not self.gives_intervals:
            self.interval_bounds(None, coverage)  # raises the error
        was_training = self.training
        self.eval()
        try:
            out = self(lr_adj, lr_eigvecs)
        finally:
            self.train(was_training)
        return self.interval_bounds(out, coverage)

    def members_trained_alone(self) -> List['SuperResolutionModel']:
        r"""Models inside this one that :func:`~torch_gsr.train.fit` trains
        one after the other, each exactly as it would train alone (its own
        fit preset, early stopping and checkpoint), on this model's split;
        it then calls :meth:`initialize` and :meth:`after_fit` and runs no
        epochs of its own. None here: ``fit`` trains the model itself."""
        return []

    def derived_state_keys(self) -> List[str]:
        r"""``state_dict`` keys that :meth:`initialize` recomputes exactly
        from the training subjects, which resumable checkpoints may leave
        out. None here."""
        return []

    def get_config(self) -> dict:
        r"""Everything :func:`~torch_gsr.nn.build_model` needs to rebuild this
        model: its name, node counts and every option."""
        return dict(name=type(self).__name__, lr_nodes=self.lr_nodes,
                    hr_nodes=self.hr_nodes, **asdict(self.config))

    def read_input(self, lr_adj: Union[Tensor, Data, None] = None,
                   lr_eigvecs: Optional[Tensor] = None, validate: bool = True,
                   edge_index: Optional[Tensor] = None,
                   edge_weight: Optional[Tensor] = None,
                   batch: Optional[Tensor] = None
                   ) -> Tuple[Tensor, Optional[Tensor]]:
        r"""The checked ``[B, N, N]`` LR connectomes and LR eigenvectors (or
        ``None``) of any input :meth:`forward` takes."""
        if isinstance(lr_adj, Data):
            if edge_index is not None:
                raise ValueError("pass either a Data or edge_index, not both")
            if lr_eigvecs is None:
                lr_eigvecs = lr_adj.get('lr_eigvecs')
            lr_adj = lr_adj_of(lr_adj, self.lr_nodes, validate)
        elif edge_index is not None:
            if lr_adj is not None:
                raise ValueError("pass either lr_adj or edge_index, not both")
            lr_adj = dense_connectomes(edge_index, edge_weight, batch,
                                       self.lr_nodes, validate)
        elif lr_adj is None:
            raise ValueError("no LR graph: pass lr_adj, a Data/Batch, or "
                             "edge_index (with edge_weight and batch)")
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes,
                                 values=validate)
        if lr_eigvecs is not None:
            lr_eigvecs = check_eigvecs(lr_eigvecs, 'lr_eigvecs', lr_adj.size(0),
                                       self.lr_nodes, like=lr_adj)
        return lr_adj, lr_eigvecs

    def training_means(self, lr_adj: Tensor, hr_adj: Tensor
                       ) -> Tuple[Tensor, Tensor]:
        r"""The checked training-mean LR ``[N_l, N_l]`` and HR ``[N_h, N_h]``
        connectomes of ``lr_adj`` ``[S, N_l, N_l]`` and ``hr_adj``
        ``[S, N_h, N_h]``, for :meth:`initialize`."""
        lr_adj = check_adjacency(lr_adj, 'lr_adj', num_nodes=self.lr_nodes)
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes)
        if lr_adj.size(0) != hr_adj.size(0):
            raise ValueError(f"lr_adj holds {lr_adj.size(0)} subjects but "
                             f"hr_adj holds {hr_adj.size(0)}")
        return lr_adj.mean(0), hr_adj.mean(0)

    @torch.no_grad()
    def outputs_in_eval(self, lr_adj: Tensor, batch_size: int = 64,
                        validate: bool = True) -> List[Any]:
        r"""The outputs of :meth:`forward` on ``lr_adj`` ``[S, N_l, N_l]`` in
        batches of ``batch_size`` subjects (:func:`~torch_gsr.train.predict`'s
        default), in evaluation mode; the training mode is restored. For
        ``after_fit`` hooks, which score the model on validation subjects."""
        was_training = self.training
        self.eval()
        try:
            return [self(chunk, validate=validate) for chunk in lr_adj.split(batch_size)]
        finally:
            self.train(was_training)

    def read_target(self, hr_adj: Tensor, prediction: Tensor,
                    validate: bool = True) -> Tensor:
        r"""The checked ``[B, N_h, N_h]`` targets of ``prediction``
        ``[B, N_h, N_h]``, in its dtype and on its device."""
        hr_adj = check_adjacency(hr_adj, 'hr_adj', num_nodes=self.hr_nodes,
                                 values=validate)
        if hr_adj.size(0) != prediction.size(0):
            raise ValueError(f"hr_adj holds {hr_adj.size(0)} subjects but the "
                             f"prediction holds {prediction.size(0)}")
        return hr_adj.to(prediction)

    def predict_graphs(self, data: Data, **options) -> Data:
        r"""The predicted HR graphs of ``data`` (a
        :class:`~torch_gsr.datasets.ConnectomePair` or a :class:`Batch`) as
        PyG graphs: ``GraphSuperResolution(self, **options)(data)``
        (:class:`~torch_gsr.transforms.GraphSuperResolution`)."""
        return GraphSuperResolution(self, **options)(data)
