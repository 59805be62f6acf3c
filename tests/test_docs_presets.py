"""The presets tables of docs/presets.md are the ones docs/presets_table.py
generates from torch_gsr.config, so they cannot drift from the code."""
import dataclasses
import importlib.util
import os.path as osp
import re

import pytest

from torch_gsr.config import MODEL_PRESETS, PAPER_FIT, RECOMMENDED_FIT
from torch_gsr.nn import AGSRConfig, GSRConfig

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), '..')


def _script():
    spec = importlib.util.spec_from_file_location(
        'presets_table', osp.join(ROOT, 'docs', 'presets_table.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _committed_block():
    with open(osp.join(ROOT, 'docs', 'presets.md'), encoding='utf-8') as f:
        text = f.read()
    blocks = re.findall(r'<!-- presets-table: begin.*?<!-- presets-table: end -->', text, re.S)
    assert len(blocks) == 1, "docs/presets.md needs exactly one presets-table block"
    return blocks[0]


def test_committed_table_is_the_generated_one():
    assert _committed_block() == _script().presets_table(), \
        "docs/presets.md is stale: run python docs/presets_table.py (or build the docs)"


def test_the_docs_build_regenerates_the_table(tmp_path):
    # conf.py rewrites the block at every build, so a new model's presets
    # reach the docs without an edit of presets.md by hand.
    with open(osp.join(ROOT, 'docs', 'conf.py'), encoding='utf-8') as f:
        assert 'presets_table.rewrite()' in f.read()
    page = tmp_path / 'presets.md'
    page.write_text(_committed_block().replace('`lambda_rec`', '`stale`'))
    script = _script()
    assert script.rewrite(str(page)) and page.read_text() == script.presets_table()


def test_table_lists_every_option_with_both_values():
    table = _script().presets_table()
    for cls, presets in list(MODEL_PRESETS.items()) + [(type(PAPER_FIT), None)]:
        paper, recommended = ((presets['paper'], presets['recommended']) if presets
                              else (PAPER_FIT, RECOMMENDED_FIT))
        for field in dataclasses.fields(cls):
            row = (f"| `{field.name}` | `{getattr(paper, field.name)!r}` | "
                   f"`{getattr(recommended, field.name)!r}` |")
            assert row in table, f"{cls.__name__}.{field.name} missing: {row}"


def test_a_changed_preset_changes_the_table(monkeypatch):
    script = _script()
    before = script.presets_table()
    changed = dict(MODEL_PRESETS[GSRConfig])
    changed['paper'] = dataclasses.replace(changed['paper'], lambda_rec=15.)
    monkeypatch.setitem(script.MODEL_PRESETS, GSRConfig, changed)
    after = script.presets_table()
    assert after != before and '| `lambda_rec` | `15.0` |' in after


def test_an_option_without_a_source_is_an_error(monkeypatch):
    script = _script()
    # A configuration declares its own sources, beside its model.
    monkeypatch.delitem(GSRConfig.sources, 'lambda_rec')
    monkeypatch.delitem(AGSRConfig.sources, 'lambda_rec')
    with pytest.raises(KeyError, match='lambda_rec'):
        script.presets_table()
