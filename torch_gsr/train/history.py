r"""The per-epoch record of a :func:`~torch_gsr.train.fit` run."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

#: GSR-Net's loss terms (other models name their own: :func:`loss_terms`).
LOSS_TERMS = ('total', 'hr', 'eig', 'rec')
#: Record keys that are not loss terms.
NOT_TERMS = ('epoch', 'time', 'learning_rate')


@dataclass
class History:
    r"""Per-epoch record of a :func:`~torch_gsr.train.fit` run.

    Args:
        records (list of dict): one dict per completed epoch: ``epoch``
            (1-based), the training loss terms the model names (means over
            subjects; GSR-Net's ``total``, ``hr``, ``eig``, ``rec``),
            ``time`` (seconds), ``learning_rate`` (the epoch's last
            update's), and with validation ``val_<term>`` of each.
            (default: :obj:`[]`)
        best_epoch (int, optional): the epoch of the lowest validation HR
            loss. (default: :obj:`None`)
        stopped_early (bool): whether early stopping ended the run.
            (default: :obj:`False`)
        planned_epochs (int, optional): the epochs :func:`fit` planned; the
            number run is ``len(history)``. (default: :obj:`None`)
        val_subjects (int): subjects held out for validation.
            (default: :obj:`0`)
        after_fit (dict): what the model's
            :meth:`~torch_gsr.nn.SuperResolutionModel.after_fit` returned.
            (default: :obj:`{}`)
        members (list of History): the runs of the members trained alone
            (:meth:`~torch_gsr.nn.SuperResolutionModel.members_trained_alone`),
            whose model runs no epochs itself. (default: :obj:`[]`)
    """
    records: List[Dict[str, float]] = field(default_factory=list)
    best_epoch: Optional[int] = None
    stopped_early: bool = False
    planned_epochs: Optional[int] = None
    val_subjects: int = 0
    after_fit: Dict[str, float] = field(default_factory=dict)
    members: List['History'] = field(default_factory=list)

    @property
    def ridge_weight(self) -> Optional[float]:
        r"""The ridge blend's weight chosen after the fit, if any."""
        return self.after_fit.get('ridge_weight')

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: str) -> List[float]:
        r"""One column, e.g. ``history['hr']``: a value per epoch."""
        return [record[key] for record in self.records]

    def to_dict(self) -> dict:
        r"""This history as plain Python data (what checkpoints store)."""
        return dict(records=[dict(r) for r in self.records],
                    best_epoch=self.best_epoch, stopped_early=self.stopped_early,
                    planned_epochs=self.planned_epochs,
                    val_subjects=self.val_subjects,
                    after_fit=dict(self.after_fit),
                    ridge_weight=self.ridge_weight,
                    members=[member.to_dict() for member in self.members])

    @classmethod
    def from_dict(cls, state: dict) -> 'History':
        r"""The history :meth:`to_dict` returned (older versions' too)."""
        after_fit = state.get('after_fit')
        if after_fit is None:  # before checkpoint version 2
            weight = state.get('ridge_weight')
            after_fit = {} if weight is None else dict(ridge_weight=weight)
        return cls(records=[dict(r) for r in state['records']],
                   best_epoch=state['best_epoch'],
                   stopped_early=state['stopped_early'],
                   planned_epochs=state.get('planned_epochs'),
                   val_subjects=state.get('val_subjects', 0),
                   after_fit=dict(after_fit),
                   members=[cls.from_dict(m) for m in state.get('members', [])])


def loss_terms(histories: Sequence['History']) -> List[str]:
    r"""The training loss terms the records of ``histories`` hold, in
    order of appearance (``total`` first)."""
    return list(dict.fromkeys(key for history in histories for record in history.records
                              for key in record
                              if key not in NOT_TERMS and not key.startswith('val_')))


def format_record(record: Dict[str, float]) -> str:
    r"""An epoch's loss terms and time on one line (its number is shown by
    the progress display)."""
    terms = ' '.join(f'{key}={record[key]:.5g}' for key in record
                     if key not in ('epoch', 'time'))
    return f"{terms} ({record['time']:.2f}s)"
