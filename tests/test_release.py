import os.path as osp
import re

import torch_gsr
from torch_gsr.version import __version__

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def read(name):
    with open(osp.join(ROOT, name), encoding='utf-8') as f:
        return f.read()


def test_version_is_defined_once_and_cited_in_step():
    assert torch_gsr.__version__ == __version__
    assert re.search(r'^version: (\S+)$', read('CITATION.cff'), re.M).group(1) == __version__
    assert 'version=read_version()' in read('setup.py')


def test_changelog_has_an_entry_for_this_version():
    assert re.search(rf'^## {re.escape(__version__)}\b', read('CHANGELOG.md'), re.M)
