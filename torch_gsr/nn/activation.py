"""Activations by name, through PyG's resolver."""
from typing import Callable, Union

import torch
from torch_geometric.nn.resolver import activation_resolver


def resolve_activation(act: Union[str, Callable, None]) -> Callable:
    r"""The activation ``act`` names: any name
    :func:`torch_geometric.nn.resolver.activation_resolver` knows
    (``'relu'``, ``'leaky_relu'``, ``'elu'``, ``'tanh'``, ...), a callable
    (returned as is), or ``None``/``'identity'`` for none.

    Args:
        act (str or callable, optional): the activation.

    Raises:
        ValueError: an unknown name.
    """
    if act is None or act == 'identity':
        return torch.nn.Identity()
    try:
        return activation_resolver(act)
    except ValueError:
        raise ValueError(f"act must be an activation name such as 'relu', "
                         f"'leaky_relu', 'elu', 'tanh' or 'identity', "
                         f"got {act!r}") from None
