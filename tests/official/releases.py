r"""Imports modules of the official releases in ``../shared/official`` (MIT;
see its README) so that tests can run them with the package's weights.

A checkout without ``../shared`` (a user's clone) has no releases: the
tests that need one skip, saying why. The releases' top-level packages
(``src``, ``models``, ``data``, ``configs``) would shadow each other, so
each import runs with only its own release on ``sys.path`` and leaves
``sys.modules`` as it found it."""
import functools
import importlib
import sys
import types
from pathlib import Path
from types import ModuleType

import pytest

OFFICIAL = Path(__file__).resolve().parents[2].parent / 'shared' / 'official'
#: Commits of the releases (``../shared/official/README.md``).
COMMITS = {'stp-gsr': '239abd9', 'defend': '5f9aef6'}
#: Modules the releases import at module level but never call in the parts
#: the tests run (DEFEND's node2vec features and Louvain partitions).
UNUSED_IMPORTS = {'defend': {'node2vec': ('Node2Vec',), 'community': ('best_partition',)}}


def stand_in(name: str, attributes) -> ModuleType:
    r"""A module whose attributes raise when called: it only satisfies an
    import."""
    module = types.ModuleType(name)

    def unavailable(*args, **kwargs):
        raise RuntimeError(f"{name} is a stand-in in the tests: not installed")
    for attribute in attributes:
        setattr(module, attribute, unavailable)
    return module


@functools.cache
def release_module(release: str, module: str) -> ModuleType:
    r"""``module`` (e.g. ``'models.bi_sr'``) of the release in
    ``../shared/official/<release>``; skips the test where it is absent."""
    root = OFFICIAL / release
    if not root.is_dir():
        pytest.skip(f"the official {release} release is not at {root} "
                    f"(a checkout without ../shared)")
    own = {path.stem for path in root.iterdir()} | set(UNUSED_IMPORTS.get(release, {}))
    sys.path.insert(0, str(root))
    try:
        for name, attributes in UNUSED_IMPORTS.get(release, {}).items():
            if importlib.util.find_spec(name) is None:
                sys.modules[name] = stand_in(name, attributes)
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split('.')[0] in own]:
            del sys.modules[name]
