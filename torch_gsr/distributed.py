r"""Multi-process training on :mod:`torch.distributed`, launched by ``torchrun``.

``torchrun --nproc_per_node=N`` starts ``N`` copies of a script and sets
``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT`` in each; :func:`init_process_group` reads them and picks the
backend from the device (``gloo`` on CPU, ``nccl`` on CUDA).
:func:`torch_gsr.train.fit` with ``distributed=True`` calls it itself, wraps
the model in :class:`~torch.nn.parallel.DistributedDataParallel`, gives each
process its shard of every (global) batch, and uses the helpers here to
reduce loss sums, agree on failures and write files from rank 0 only.

Every helper also works without a process group (one process): then the
rank is 0, the world size 1 and reductions return their input.
"""
import os
from typing import Callable, List, Optional, Tuple

import torch
import torch.distributed as dist
from torch import Tensor

from .utils.io import atomic_path

TORCHRUN_VARIABLES = ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


class RankFailedError(RuntimeError):
    r"""A training step raised an exception in at least one process; raised
    in every process with the same message, so no process waits forever for
    the others in a collective.

    Attributes:
        rank (int): the lowest rank that failed.
    """
    def __init__(self, message: str, rank: int):
        super().__init__(message)
        self.rank = rank


def is_distributed() -> bool:
    r"""Whether a process group is initialised (this process is one of
    several training together)."""
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    r"""This process's rank (``0`` without a process group)."""
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    r"""The number of processes (``1`` without a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    r"""Whether this process is rank 0, the one that writes files and logs."""
    return get_rank() == 0


def backend_for(device) -> str:
    r"""``"nccl"`` for a CUDA device, ``"gloo"`` otherwise."""
    return 'nccl' if torch.device(device).type == 'cuda' else 'gloo'


def local_device(device=None) -> torch.device:
    r"""This process's device: ``device`` as given, except that a CUDA device
    without an index (or ``None`` when CUDA is available) becomes
    ``cuda:LOCAL_RANK``, so each process on a node drives its own GPU."""
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    device = torch.device(device)
    if device.type == 'cuda' and device.index is None:
        device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
    return device


def init_process_group(device=None) -> torch.device:
    r"""Joins the process group described by torchrun's environment
    variables (a no-op when already joined) and returns this process's
    device (:func:`local_device`).

    Raises:
        RuntimeError: not started by ``torchrun`` (variables missing).
    """
    device = local_device(device)
    if is_distributed():
        return device
    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise RuntimeError(f"distributed training needs the environment "
                           f"variables {missing}: launch the script with "
                           f"torchrun --nproc_per_node=N (or set them)")
    if device.type == 'cuda':
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend_for(device))
    return device


def destroy_process_group() -> None:
    r"""Leaves the process group, if any."""
    if is_distributed():
        dist.destroy_process_group()


def all_reduce_sum(tensor: Tensor) -> Tensor:
    r"""The element-wise sum of ``tensor`` over all processes (a new tensor;
    ``tensor`` itself without a process group). Every process receives the
    same values."""
    if not is_distributed():
        return tensor
    total = tensor.to(_collective_device(), copy=True)
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total.to(tensor.device)


def _collective_device() -> torch.device:
    # NCCL reduces CUDA tensors only; gloo takes CPU tensors.
    if dist.get_backend() == 'nccl':
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def shard(index: Tensor) -> Tuple[Tensor, float]:
    r"""This process's part of a global batch ``index`` and its weight.

    The batch is cut into ``world_size`` contiguous, near-equal parts
    (:meth:`torch.Tensor.tensor_split`: sizes differ by at most one, so
    ``batch_size`` need not be divisible by the world size). The weight is
    ``len(part) * world_size / len(index)``: a process's mean loss times its
    weight, averaged over processes (what DDP does to gradients), is the
    mean over the whole global batch.

    A batch smaller than the world size leaves some parts empty; those
    processes get the batch's first subject with weight ``0``, so they still
    take part in every collective but contribute nothing.
    """
    world = get_world_size()
    part = index.tensor_split(world)[get_rank()]
    if part.numel() == 0:
        return index[:1], 0.
    return part, part.numel() * world / index.numel()


def raise_if_any_failed(error: Optional[BaseException], what: str) -> None:
    r"""Makes a failure in one process a failure in all of them.

    Every process calls this at the same point with the exception it caught
    (or ``None``). If any process failed, all raise :class:`RankFailedError`
    naming the lowest failed rank and its exception; the failed process
    chains its own exception. Call it before any collective the failed
    process would skip, or the others wait forever.
    """
    failed = torch.tensor([0 if error is None else 1])
    if int(all_reduce_sum(failed)) == 0:
        return
    messages: List[Optional[str]] = [None] * get_world_size()
    mine = None if error is None else f'{type(error).__name__}: {error}'
    if is_distributed():
        dist.all_gather_object(messages, mine)
    else:
        messages = [mine]
    rank = next(r for r, message in enumerate(messages) if message is not None)
    raise RankFailedError(f"{what} failed in rank {rank} of "
                          f"{get_world_size()}: {messages[rank]}", rank) \
        from error


def run_on_main(action: Callable[[], None], what: str) -> None:
    r"""Runs ``action`` in rank 0 only; all ranks return once it is done
    (so any rank may read what it wrote next). If it fails, all raise
    (:func:`raise_if_any_failed`, naming ``what``)."""
    error = None
    if is_main_process():
        try:
            action()
        except Exception as caught:  # re-raised below, in every rank
            error = caught
    if error is not None and not is_distributed():
        raise error
    raise_if_any_failed(error, what)


def write_on_main(path: str, write: Callable[[str], None]) -> None:
    r"""Writes ``path`` from rank 0 only, atomically: ``write(tmp)`` fills a
    temporary file next to ``path`` that then replaces it, so a crash never
    leaves a half-written file (:func:`run_on_main`)."""
    def atomic_write() -> None:
        with atomic_path(path) as tmp:
            write(tmp)
    run_on_main(atomic_write, f'writing {path}')
