r"""A whole dataset as dense tensors on the training device, gathered once."""
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Optional, Sequence, cast

import torch
from torch import Tensor
from torch_geometric.loader import DataLoader

from ..nn.base import SuperResolutionModel
from ..utils.groups import group_index, source_of
from ..utils.progress import track
from ..utils.spectra import spectra
from ..utils.validation import check_adjacency

#: Subjects per ``eigh`` call of :meth:`ConnectomeTensors.with_spectra`.
SPECTRA_CHUNK = 32


@dataclass
class ConnectomeTensors:
    r"""A whole dataset as dense tensors, indexable by subject batches.

    Attributes:
        lr_adj (Tensor): ``[S, N_l, N_l]`` LR connectomes.
        hr_adj (Tensor, optional): ``[S, N_h, N_h]`` HR connectomes.
        subjects (list of str): ``S`` subject ids.
        lr_eigvecs (Tensor, optional): ``[S, N_l, N_l]`` LR spectra.
        hr_eigvecs (Tensor, optional): ``[S, P, P]`` padded HR spectra.
        groups (list of str, optional): ``S`` group labels; samples of one
            group are never split apart (:obj:`None`: the source of each
            subject id, :func:`~torch_gsr.utils.groups.source_of`).
    """
    lr_adj: Tensor
    hr_adj: Optional[Tensor]
    subjects: List[str]
    lr_eigvecs: Optional[Tensor] = None
    hr_eigvecs: Optional[Tensor] = None
    groups: Optional[List[str]] = None

    def __post_init__(self):
        num = self.lr_adj.size(0)
        if self.hr_adj is not None and self.hr_adj.size(0) != num:
            raise ValueError(f"lr_adj holds {num} subjects but hr_adj holds "
                             f"{self.hr_adj.size(0)} (expected one HR "
                             f"connectome per LR connectome)")
        if len(self.subjects) != num:
            raise ValueError(f"{len(self.subjects)} subject ids for {num} "
                             f"subjects")
        if self.groups is None:
            self.groups = [source_of(s) for s in self.subjects]
        self.groups = [str(g) for g in self.groups]
        group_index(self.groups, num)

    @classmethod
    def from_data(cls, data, groups: Optional[Sequence] = None) -> 'ConnectomeTensors':
        r"""Gathers ``data``: a :class:`ConnectomeTensors`, a PyG dataset of
        :class:`~torch_gsr.datasets.ConnectomePair` (collated once, its
        transforms applied; groups from a ``group`` attribute, else from
        the subject ids), an LR tensor ``[S, N_l, N_l]``, or a tuple
        ``(lr_adj, hr_adj)`` of tensors/arrays (subject ids ``'0'``, ...,
        each its own group). ``groups``: ``S`` labels that replace the
        data's."""
        if isinstance(data, cls):
            gathered = data
        elif isinstance(data, (tuple, list)):
            if len(data) != 2:
                raise ValueError(f"a tuple dataset must be (lr_adj, hr_adj), "
                                 f"got {len(data)} items")
            gathered = cls._from_arrays(*data)
        elif isinstance(data, Tensor):
            gathered = cls._from_arrays(data, None)
        else:
            gathered = cls._from_dataset(data)
        if groups is None:
            return gathered
        group_index(groups, gathered.num_subjects)  # checks the count
        return replace(gathered, groups=[str(g) for g in groups])

    @classmethod
    def _from_dataset(cls, data) -> 'ConnectomeTensors':
        if len(data) == 0:
            raise ValueError("the dataset holds no subjects")
        batch = next(iter(DataLoader(data, batch_size=len(data))))
        subjects = batch.get('subject')
        subjects = ([str(s) for s in subjects] if subjects is not None
                    else [str(i) for i in range(len(data))])
        return cls(batch.lr_adj, batch.get('hr_adj'), subjects,
                   batch.get('lr_eigvecs'), batch.get('hr_eigvecs'), batch.get('group'))

    @classmethod
    def _from_arrays(cls, lr_adj, hr_adj) -> 'ConnectomeTensors':
        lr_adj = torch.as_tensor(lr_adj)
        lr_adj = lr_adj.unsqueeze(0) if lr_adj.dim() == 2 else lr_adj
        hr_adj = None if hr_adj is None else torch.as_tensor(hr_adj)
        return cls(lr_adj, hr_adj, [str(i) for i in range(lr_adj.size(0))])

    @property
    def num_subjects(self) -> int:
        """The number of subjects ``S``."""
        return self.lr_adj.size(0)

    @property
    def num_groups(self) -> int:
        """The number of distinct groups."""
        return len(set(cast(List[str], self.groups)))

    @property
    def group_index(self) -> Tensor:
        r"""``[S]`` every sample's group number (in order of appearance)."""
        return group_index(cast(List[str], self.groups))

    @property
    def shared_groups(self) -> Optional[Tensor]:
        r""":attr:`group_index` when the samples form at least 2 groups and
        some group holds several, else :obj:`None` (each sample its own
        group): what :meth:`~torch_gsr.nn.SuperResolutionModel.initialize`
        gets, so that independent samples keep the folds they always had."""
        index = self.group_index
        groups = int(index.max()) + 1 if index.numel() else 0
        return index if 2 <= groups < index.numel() else None

    def _tensors(self) -> Dict[str, Optional[Tensor]]:
        return dict(lr_adj=self.lr_adj, hr_adj=self.hr_adj,
                    lr_eigvecs=self.lr_eigvecs, hr_eigvecs=self.hr_eigvecs)

    def _map(self, fn: Callable[[Tensor], Tensor], subjects: List[str],
             groups: Optional[List[str]]):
        tensors: Dict[str, Any] = {key: None if value is None else fn(value)
                                   for key, value in self._tensors().items()}
        return ConnectomeTensors(subjects=subjects, groups=groups, **tensors)

    def subset(self, index: Tensor) -> 'ConnectomeTensors':
        r"""The subjects at ``index`` (``[B]`` long tensor), in that order."""
        index = torch.as_tensor(index, dtype=torch.long)
        rows = index.tolist()
        groups = cast(List[str], self.groups)
        return self._map(lambda t: t[index.to(t.device)],
                         [self.subjects[i] for i in rows], [groups[i] for i in rows])

    def to(self, device=None, dtype=None) -> 'ConnectomeTensors':
        """This data on ``device`` and/or in ``dtype``."""
        return self._map(lambda t: t.to(device=device, dtype=dtype),
                         self.subjects, self.groups)

    def with_spectra(self, lr: bool = True, progress: bool = False,
                     hr: bool = True) -> 'ConnectomeTensors':
        r"""This data with, with ``hr``, ``hr_eigvecs`` (when ``hr_adj`` is
        known) and, with ``lr``, ``lr_eigvecs`` filled in: missing ones are
        computed here for all subjects in batched ``eigh`` calls
        (``progress``: reported per chunk of subjects); present ones are kept."""
        hr_adj = self.hr_adj if hr and self.hr_eigvecs is None else None
        lr = lr and self.lr_eigvecs is None
        if hr_adj is None and not lr:
            return self
        # ``eigh`` solves each matrix on its own: chunking changes no value.
        parts = [spectra(self.lr_adj[index], rows(hr_adj, index), lr=lr)
                 for index in track(index_batches(self.num_subjects, SPECTRA_CHUNK),
                                    'spectra', enabled=progress)]
        lr_vecs, hr_vecs = (None if part[0] is None else torch.cat(part)
                            for part in zip(*parts, strict=True))
        return replace(self, lr_eigvecs=self.lr_eigvecs if lr_vecs is None else lr_vecs,
                       hr_eigvecs=self.hr_eigvecs if hr_vecs is None else hr_vecs)

    def check(self) -> 'ConnectomeTensors':
        r"""Raises a ``ValueError`` naming the subject id of the first LR or
        HR connectome that is not finite or not symmetric; returns ``self``."""
        check_adjacency(self.lr_adj, 'lr_adj', subjects=self.subjects)
        if self.hr_adj is not None:
            check_adjacency(self.hr_adj, 'hr_adj', subjects=self.subjects)
        return self

    def require_hr(self, what: str) -> Tensor:
        """``hr_adj``; a ``ValueError`` naming ``what`` when there is none."""
        if self.hr_adj is None:
            raise ValueError(f"{what} needs HR connectomes, but the dataset "
                             f"holds LR connectomes only")
        return self.hr_adj


def prepare(model: SuperResolutionModel, data, device,
            progress: bool = False) -> ConnectomeTensors:
    r"""Gathers ``data``, checks it (sizes against ``model``'s, finite,
    symmetric) and moves it to ``device`` in the model's dtype, with the
    spectra ``model`` uses (LR ones for a ``spectral`` model, HR ones for
    an ``hr_spectral`` one), reporting the spectra with ``progress``."""
    data = ConnectomeTensors.from_data(data).check()
    if data.lr_adj.size(-1) != model.lr_nodes:
        raise ValueError(f"the model expects {model.lr_nodes} LR nodes but the "
                         f"data has {data.lr_adj.size(-1)}")
    if data.hr_adj is not None and data.hr_adj.size(-1) != model.hr_nodes:
        raise ValueError(f"the model expects {model.hr_nodes} HR nodes but the "
                         f"data has {data.hr_adj.size(-1)}")
    data = replace(data, lr_eigvecs=data.lr_eigvecs if model.spectral else None,
                   hr_eigvecs=data.hr_eigvecs if model.hr_spectral else None)
    dtype = next(model.parameters()).dtype
    return data.to(device, dtype).with_spectra(lr=model.spectral, progress=progress,
                                              hr=model.hr_spectral)


def index_batches(num_subjects: int, batch_size: int,
             generator: Optional[torch.Generator] = None) -> List[Tensor]:
    r"""Index batches: a permutation drawn from ``generator``, or in order."""
    order = (torch.randperm(num_subjects, generator=generator)
             if generator is not None else torch.arange(num_subjects))
    return list(order.split(batch_size))


def rows(tensor: Optional[Tensor], index: Tensor) -> Optional[Tensor]:
    r"""``tensor[index]``, or ``None`` for a missing tensor."""
    return None if tensor is None else tensor[index]
