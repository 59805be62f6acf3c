r"""How :func:`~torch_gsr.train.fit` trains: one frozen dataclass and the two
presets' instances."""
from dataclasses import dataclass
from typing import Optional

SCHEDULES = ('constant', 'cosine')
#: How samples are held out (:mod:`torch_gsr.utils.groups`).
SPLITS = ('auto', 'groups', 'blocks')


def check_split(split: str, gap: int) -> None:
    r"""A ``ValueError`` unless ``split`` is one of :data:`SPLITS` and
    ``gap`` an int ``>= 0``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
        raise ValueError(f"gap must be an int >= 0, got {gap!r}")


@dataclass(frozen=True)
class FitConfig:
    r"""Training settings of :func:`~torch_gsr.train.fit`.

    Args:
        learning_rate (float): Adam's (peak) rate. (default: :obj:`3e-3`)
        batch_size (int): subjects per optimiser step. (default: :obj:`8`)
        epochs (int, optional): epochs to run; :obj:`None` trains for the
            ``updates`` budget instead. (default: :obj:`None`)
        updates (int, optional): optimiser steps when ``epochs`` is
            :obj:`None`. (default: :obj:`600`)
        weight_decay (float): Adam's L2 weight decay. (default: :obj:`0.`)
        val_fraction (float): share of the training subjects held out for
            validation and early stopping. (default: :obj:`0.1`)
        patience (int, optional): epochs without a lower validation loss
            before stopping; :obj:`None`: never. (default: :obj:`10`)
        stop_after (float): share of the planned epochs that always runs.
            (default: :obj:`0.5`)
        warm_up (int): first epochs early stopping ignores. (default: :obj:`0`)
        schedule (str): ``'constant'`` or ``'cosine'`` learning rate.
            (default: :obj:`'cosine'`)
        accumulate (int): batches whose gradients are summed into one
            optimiser step (the last step of an epoch takes the batches
            left). (default: :obj:`1`)
        split (str): how the validation samples are held out:
            ``'groups'``, whole groups drawn at random; ``'blocks'``, the
            last samples of every group in order (a later block of one
            run's windows); ``'auto'``, groups, or the last samples with a
            measured gap when samples without groups would be near-copies
            on both sides. (default: :obj:`'auto'`)
        gap (int): training samples left out next to each held-out block,
            in order within a group (overlapping ones). (default: :obj:`0`)
        clip_grad_norm (float, optional): clip the gradients' total 2-norm
            to this. (default: :obj:`None`)
        checkpoint_every (float, optional): seconds between checkpoint writes
            (``0``: every epoch; :obj:`None`: 300). (default: :obj:`None`)
        distributed (bool): train in all ``torchrun`` processes (DDP; a
            global ``batch_size``). (default: :obj:`False`)
        shuffle (bool): a new seeded subject order every epoch (:obj:`False`:
            the data's order, as GSR-Net's release). (default: :obj:`True`)
    """
    learning_rate: float = 3e-3
    batch_size: int = 8
    epochs: Optional[int] = None
    updates: Optional[int] = 600
    weight_decay: float = 0.
    val_fraction: float = 0.1
    patience: Optional[int] = 10
    stop_after: float = 0.5
    warm_up: int = 0
    schedule: str = 'cosine'
    accumulate: int = 1
    split: str = 'auto'
    gap: int = 0
    clip_grad_norm: Optional[float] = None
    checkpoint_every: Optional[float] = None
    distributed: bool = False
    shuffle: bool = True

    def __post_init__(self):
        for name in ('batch_size', 'epochs', 'updates', 'patience', 'accumulate'):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.epochs is None and self.updates is None:
            raise ValueError("FitConfig sets neither epochs nor updates")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")
        if not 0 <= self.stop_after <= 1:
            raise ValueError(f"stop_after must be in [0, 1], got {self.stop_after!r}")
        check_split(self.split, self.gap)
        if isinstance(self.warm_up, bool) or not isinstance(self.warm_up, int) \
                or self.warm_up < 0:
            raise ValueError(f"warm_up must be an int >= 0, got {self.warm_up!r}")
        if self.clip_grad_norm is not None and not self.clip_grad_norm > 0:
            raise ValueError(f"clip_grad_norm must be > 0, got {self.clip_grad_norm!r}")
        if self.checkpoint_every is not None and not self.checkpoint_every >= 0:
            raise ValueError(f"checkpoint_every must be >= 0 seconds, got "
                             f"{self.checkpoint_every!r}")
        if not isinstance(self.shuffle, bool):
            raise TypeError(f"shuffle must be a bool, got {self.shuffle!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")


#: GSR-Net's published schedule: Adam 1e-4, batch 1, 200 epochs, no validation.
PAPER_FIT = FitConfig(learning_rate=1e-4, batch_size=1, epochs=200, updates=None,
                      val_fraction=0., patience=None, stop_after=0., schedule='constant')
#: The package default: an update budget, a validation hold-out, early stopping.
RECOMMENDED_FIT = FitConfig()
#: The released GSR-Net and AGSR-Net schedule: :data:`PAPER_FIT` with the
#: subjects in a fixed order (``for lr, hr in zip(...)``, train.py:21 / 25).
GSR_PAPER_FIT = FitConfig(learning_rate=1e-4, batch_size=1, epochs=200, updates=None,
                          val_fraction=0., patience=None, stop_after=0.,
                          schedule='constant', shuffle=False)
