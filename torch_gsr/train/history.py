r"""The per-epoch record of a :func:`~torch_gsr.train.fit` run."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

LOSS_TERMS = ('total', 'hr', 'eig', 'rec')


@dataclass
class History:
    r"""Per-epoch record of a :func:`fit` run.

    Attributes:
        records (list of dict): one dict per completed epoch with keys
            ``epoch`` (1-based), the training loss terms ``total``, ``hr``,
            ``eig``, ``rec`` (means over subjects), ``time`` (seconds), and
            with validation ``val_total``, ``val_hr``, ``val_eig``,
            ``val_rec``, and ``learning_rate`` (the rate of the epoch's
            last update).
        best_epoch (int, optional): epoch of the lowest validation HR loss
            (the weights :func:`fit` restores under early stopping).
        stopped_early (bool): whether early stopping ended the run.
        planned_epochs (int, optional): the epochs :func:`fit` planned (the
            update budget's, or the ``epochs`` given); ``len(history)`` is
            the number run.
        val_subjects (int): subjects held out for validation (``0``: none).
        ridge_weight (float, optional): the blend weight chosen on them for
            a model with a ridge part (:class:`~torch_gsr.nn.RidgeBlend`).
    """
    records: List[Dict[str, float]] = field(default_factory=list)
    best_epoch: Optional[int] = None
    stopped_early: bool = False
    planned_epochs: Optional[int] = None
    val_subjects: int = 0
    ridge_weight: Optional[float] = None

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> List[float]:
        r"""One column, e.g. ``history['hr']``: a value per epoch."""
        return [record[key] for record in self.records]

    def to_dict(self) -> dict:
        """This history as plain Python data (what checkpoints store)."""
        return dict(records=[dict(r) for r in self.records],
                    best_epoch=self.best_epoch, stopped_early=self.stopped_early,
                    planned_epochs=self.planned_epochs,
                    val_subjects=self.val_subjects,
                    ridge_weight=self.ridge_weight)

    @classmethod
    def from_dict(cls, state: dict) -> 'History':
        """The history :meth:`to_dict` returned (older checkpoints too)."""
        return cls(records=[dict(r) for r in state['records']],
                   best_epoch=state['best_epoch'],
                   stopped_early=state['stopped_early'],
                   # Absent from checkpoints of versions before 0.2.
                   planned_epochs=state.get('planned_epochs'),
                   val_subjects=state.get('val_subjects', 0),
                   ridge_weight=state.get('ridge_weight'))


def format_record(record: Dict[str, float]) -> str:
    r"""An epoch's loss terms and time on one line (its number is shown by
    the progress display)."""
    terms = ' '.join(f'{key}={record[key]:.5g}' for key in record
                     if key not in ('epoch', 'time'))
    return f"{terms} ({record['time']:.2f}s)"
