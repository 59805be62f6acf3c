r"""The common form of the simulated data sets: a seeded generator of
``(lr, hr)`` arrays wrapped as a :class:`PairedConnectomes`."""
from typing import Callable, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np

from ..paired_connectomes import PairedConnectomes

Generator = Callable[..., Tuple[np.ndarray, np.ndarray]]
Population = TypeVar('Population')
Seed = Union[int, Sequence[int]]


def population_and_rng(draw: Callable[[np.random.Generator], Population], seed: Seed,
                       population_seed: Seed) -> Tuple[Population, np.random.Generator]:
    r"""The population ``draw(generator)`` of ``population_seed`` and the
    generator of the subjects of ``seed``.

    The subjects' generator is the one seeded by ``seed`` after it has drawn
    its own population, so ``population_seed == seed`` is a single stream
    (population first, then subjects), and changing only ``seed`` keeps the
    population and draws new subjects.
    """
    rng = np.random.default_rng(seed)
    population = draw(rng)
    if population_seed != seed:
        population = draw(np.random.default_rng(population_seed))
    return population, rng


class GeneratedConnectomes(PairedConnectomes):
    r"""The connectomes ``generator(num_subjects, lr_nodes, hr_nodes, seed,
    population_seed=population_seed)`` returns, as a dataset; subject ids are
    ``'<subject_prefix>-0000'``, ..., and ``name`` names the data in messages
    and cached files.

    Args:
        generator (callable): returns ``[S, N_l, N_l]`` and ``[S, N_h, N_h]``
            arrays.
        name (str): e.g. ``'synthetic'``.
        subject_prefix (str): e.g. ``'sim'``.
        num_subjects (int): ``S``, passed to ``generator``.
        lr_nodes (int): ``N_l``, passed to ``generator``.
        hr_nodes (int): ``N_h``, passed to ``generator``.
        seed (int): the subjects' seed, passed to ``generator``.
        population_seed (int): the population's seed, passed to
            ``generator``. (default: :obj:`0`)
        root (str, optional): cache folder (``None``: in memory only).
            (default: :obj:`None`)
        **pyg_options: ``transform``, ``pre_transform``, ``pre_filter``,
            ``force_reload``, as in PyG.
    """
    def __init__(self, generator: Generator, name: str, subject_prefix: str,
                 num_subjects: int, lr_nodes: int, hr_nodes: int, seed: int,
                 population_seed: int = 0, root: Optional[str] = None, **pyg_options):
        def reader():
            lr, hr = generator(num_subjects, lr_nodes, hr_nodes, seed,
                               population_seed=population_seed)
            subjects = [f'{subject_prefix}-{i:04d}' for i in range(num_subjects)]
            return lr, hr, subjects, f'{name} lr', f'{name} hr'
        # Today's cache name when population_seed == seed (the same data as
        # before population seeds existed); another name otherwise.
        cache_name = f'{name}_{num_subjects}_{lr_nodes}_{hr_nodes}_{seed}'
        if population_seed != seed:
            cache_name += f'_population_{population_seed}'
        super().__init__(root, reader, name=cache_name.replace('-', '_'), **pyg_options)
