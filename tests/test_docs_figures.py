"""Every figure in the README and docs/ comes with the command that makes it;
the cheap ones are rerun here and compared with the digits the page prints."""
import glob
import os.path as osp
import re

import pytest

from torch_gsr.datasets import SyntheticConnectomes
from torch_gsr.nn import GSRLayerOnly
from torch_gsr.train import cross_validate

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), '..')
PAGES = ['README.md'] + sorted(osp.relpath(p, ROOT)
                               for p in glob.glob(osp.join(ROOT, 'docs', '*.md')))
COMMAND = re.compile(r'(python3? \S+\.py|torch-gsr \w+|bash \S+\.sh)')
# Tables that state no measurement: what a model or an option is.
DESCRIPTIVE = ('| model | what it is', '| generator |', '| option |', '| case |')


def _tables(text):
    r"""``(line number, header, rows)`` of every Markdown table."""
    lines = text.split('\n')
    for i, line in enumerate(lines[:-1]):
        if line.startswith('|') and re.fullmatch(r'\|[-| :]+\|', lines[i + 1]):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith('|'):
                    break
                rows.append(row)
            yield i, line, rows


def _read(page):
    with open(osp.join(ROOT, page), encoding='utf-8') as f:
        return f.read()


@pytest.mark.parametrize('page', PAGES)
def test_every_measured_table_names_its_command(page):
    lines = _read(page).split('\n')
    for i, header, rows in _tables('\n'.join(lines)):
        if header.startswith(DESCRIPTIVE):
            continue
        if not any(re.search(r'\d\.\d', row) for row in rows):
            continue
        before = '\n'.join(lines[max(0, i - 30):i])
        assert COMMAND.search(before), \
            f"{page}:{i + 1}: a table of figures with no command above it: {header}"


def _readme_rows(methods):
    for _, header, rows in _tables(_read('README.md')):
        if header.startswith('| method |'):
            return header, [row for row in rows if row.split('|')[1].strip() in methods]
    raise AssertionError("README.md has no results table")


def test_readme_baseline_rows_reproduce(tmp_path, one_thread):
    # The baselines' rows of the README's table (python examples/slim_superres.py)
    # do not depend on the models: cross-validated on the same data and folds
    # with a 1-epoch model, they must print the same digits.
    header, expected = _readme_rows(('MeanHR', 'RidgeRegression'))
    assert len(expected) == 2
    dataset = SyntheticConnectomes(277, 160, 268, seed=0)
    result = cross_validate({'GSRLayerOnly': lambda: GSRLayerOnly(160, 268)}, dataset,
                            folds=5, seed=0, epochs=1, progress=False)
    result.to_markdown(str(tmp_path / 'results.md'))
    table = (tmp_path / 'results.md').read_text().split('\n')
    assert table[0] == header
    assert [row for row in table if row.split('|')[1:2] and
            row.split('|')[1].strip() in ('MeanHR', 'RidgeRegression')] == expected
