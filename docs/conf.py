"""Sphinx configuration of the torch_gsr documentation (``sphinx-build -W docs docs/_build``)."""
import os
import sys

sys.path.insert(0, os.path.abspath('..'))

from torch_gsr.version import __version__  # noqa: E402

# The presets tables of presets.md are regenerated from the models' own
# configurations at every build: a new model needs no edit here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import presets_table  # noqa: E402

presets_table.rewrite()

project = 'torch_gsr'
author = 'The torch_gsr developers'
copyright = '2026, The torch_gsr developers'
version = release = __version__

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.mathjax',
    'sphinx.ext.viewcode',
    'myst_parser',
]
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
exclude_patterns = ['_build']
myst_heading_anchors = 3

autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Types in docstrings are prose ("Tensor: [B, N, N]"), not cross-references.
nitpicky = False

html_theme = 'alabaster'
strip_signature_backslash = True
napoleon_use_ivar = True  # 'Attributes:' as fields: no duplicates of dataclass/NamedTuple fields
