"""Input checks shared by every entry point.

Every message has the same form: what was wrong, where (argument name, subject index
or file), and what was expected. Nothing is ever fixed silently.
"""
from typing import Optional, Sequence

import torch
from torch import Tensor


def check_int(value, name: str, minimum: int = 1) -> int:
    r"""Returns ``value`` if it is an ``int`` (not a ``bool``) of at least
    ``minimum``; raises a ``ValueError`` naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _where(name: str, subjects: Optional[Sequence] = None, index: int = 0) -> str:
    if subjects is not None and len(subjects) > index:
        return f"{name} (subject {subjects[index]!r})"
    return f"{name} (subject index {index})"


def check_adjacency(adj, name: str = 'adj', num_nodes: Optional[int] = None,
                    symmetric: bool = True, subjects: Optional[Sequence] = None,
                    atol: float = 1e-5, values: bool = True) -> Tensor:
    r"""Checks a dense connectome batch and returns it as ``[B, N, N]``.

    Args:
        adj (Tensor): ``[N, N]`` or ``[B, N, N]`` floating-point adjacency.
        name (str): argument name used in error messages.
        num_nodes (int, optional): the node count the caller expects.
        symmetric (bool): whether to require ``adj == adj^T`` (within ``atol``).
        subjects (sequence, optional): subject ids, named in error messages.
        atol (float): absolute tolerance of the symmetry check.
        values (bool): also check the values (finite, symmetric). Only the
            shape checks run without it: they never wait for the device.

    Raises:
        TypeError: not a floating-point tensor.
        ValueError: wrong rank, non-square, wrong node count, NaN/inf or asymmetric.
    """
    if not isinstance(adj, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(adj).__name__}")
    if not adj.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {adj.dtype}")
    if adj.dim() == 2:
        adj = adj.unsqueeze(0)
    if adj.dim() != 3:
        raise ValueError(f"{name} must have shape [N, N] or [B, N, N], "
                         f"got {list(adj.shape)}")
    if adj.size(-1) != adj.size(-2):
        raise ValueError(f"{name} must be square, got {list(adj.shape)} "
                         f"(expected [B, N, N])")
    if num_nodes is not None and adj.size(-1) != num_nodes:
        raise ValueError(f"{name} has {adj.size(-1)} nodes but {num_nodes} were "
                         f"expected (shape [B, {num_nodes}, {num_nodes}]), "
                         f"got {list(adj.shape)}")
    if not values:
        return adj
    finite = torch.isfinite(adj).flatten(1).all(dim=1)
    if not bool(finite.all()):
        bad = int((~finite).nonzero()[0])
        raise ValueError(f"{_where(name, subjects, bad)} contains NaN or inf values")
    if symmetric:
        asym = (adj - adj.transpose(-1, -2)).abs().flatten(1).amax(dim=1)
        if bool((asym > atol).any()):
            bad = int((asym > atol).nonzero()[0])
            raise ValueError(f"{_where(name, subjects, bad)} is not symmetric "
                             f"(max |A - A^T| = {float(asym[bad]):.3g}, "
                             f"tolerance {atol:g})")
    return adj


def check_eigvecs(eigvecs, name: str, batch_size: int, num_nodes: int,
                  like: Tensor) -> Tensor:
    r"""Checks precomputed eigenvectors ``[B, N, N]`` (or ``[N, N]``) against
    the batch they belong to and moves them to ``like``'s device and dtype."""
    if not isinstance(eigvecs, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(eigvecs).__name__}")
    if eigvecs.dim() == 2:
        eigvecs = eigvecs.unsqueeze(0)
    expected = [batch_size, num_nodes, num_nodes]
    if list(eigvecs.shape) != expected:
        raise ValueError(f"{name} must have shape {expected} to match the batch, "
                         f"got {list(eigvecs.shape)}")
    return eigvecs.to(device=like.device, dtype=like.dtype)


def check_sizes(lr_nodes: int, hr_nodes: int) -> None:
    """Checks the LR and HR node counts a model is built for."""
    for label, value in (('lr_nodes', lr_nodes), ('hr_nodes', hr_nodes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive int, got {value!r}")
    if hr_nodes < lr_nodes:
        raise ValueError(f"hr_nodes ({hr_nodes}) must be at least lr_nodes "
                         f"({lr_nodes}): GSR-Net super-resolves, it never "
                         f"coarsens")


def check_edges(edge_index, edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None,
                num_nodes: Optional[int] = None) -> None:
    r"""Checks a sparse (batch of) graph(s) of ``num_nodes`` nodes each.

    Args:
        edge_index (Tensor): ``[2, E]`` integer node indices.
        edge_weight (Tensor, optional): ``[E]``.
        batch (Tensor, optional): ``[B * N]`` graph of each node: ``0`` for
            the first ``N`` nodes, ``1`` for the next ``N``, ...
        num_nodes (int, optional): ``N``, nodes per graph.

    Raises:
        TypeError: ``edge_index`` is not an integer tensor.
        ValueError: wrong shapes, indices out of range, or a batch vector
            that is not ``B`` consecutive runs of ``num_nodes`` nodes.
    """
    if not isinstance(edge_index, Tensor) or edge_index.is_floating_point():
        raise TypeError(f"edge_index must be an integer torch.Tensor, got "
                        f"{getattr(edge_index, 'dtype', type(edge_index).__name__)}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {list(edge_index.shape)}")
    if edge_weight is not None and edge_weight.shape != edge_index.shape[1:]:
        raise ValueError(f"edge_weight must have shape [E] = "
                         f"[{edge_index.size(1)}] to match edge_index, got "
                         f"{list(edge_weight.shape)}")
    if batch is None:
        total = num_nodes
    else:
        total = batch.numel()
        if batch.dim() != 1:
            raise ValueError(f"batch must have shape [num_nodes], got {list(batch.shape)}")
        if num_nodes is not None:
            if total % num_nodes:
                raise ValueError(f"batch has {total} nodes, not a whole number of "
                                 f"{num_nodes}-node graphs")
            expected = torch.arange(total // num_nodes, device=batch.device)
            if not torch.equal(batch, expected.repeat_interleave(num_nodes)):
                raise ValueError(f"batch does not match the graphs: expected "
                                 f"{total // num_nodes} consecutive runs of "
                                 f"{num_nodes} nodes (0, ..., 0, 1, ...)")
    if edge_index.numel() and total is not None:
        low, high = int(edge_index.min()), int(edge_index.max())
        if low < 0 or high >= total:
            raise ValueError(f"edge_index holds node index "
                             f"{low if low < 0 else high} but the graph(s) have "
                             f"{total} nodes (indices 0 to {total - 1})")

def check_generator_sizes(num_subjects: int, lr_nodes: int, hr_nodes: int,
                          fine_regions: int, **counts: int) -> None:
    r"""Checks the sizes of a simulated data set: positive ints, ``hr_nodes
    >= lr_nodes``, at most ``fine_regions`` parcels, and every other count
    in ``counts`` (name -> value) a positive int."""
    sizes = dict(num_subjects=num_subjects, lr_nodes=lr_nodes,
                 hr_nodes=hr_nodes, fine_regions=fine_regions, **counts)
    for name, value in sizes.items():
        check_int(value, name)
    check_sizes(lr_nodes, hr_nodes)
    if fine_regions < hr_nodes:
        raise ValueError(f"fine_regions ({fine_regions}) must be at least "
                         f"hr_nodes ({hr_nodes}): every parcel needs a region")
