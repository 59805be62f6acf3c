"""The package's layering, read from its source with :mod:`ast` (nothing of
``torch_gsr`` is imported): no import cycles, imports point down only, and no
module is over 400 lines."""
import ast
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

ROOT = Path(osp.dirname(osp.abspath(__file__))).parent / 'torch_gsr'
MAX_LINES = 400

# Top layer first. A module may import from its own row or any row below,
# never from a row above. ``torch_gsr`` is the package's ``__init__.py`` (it
# re-exports the subpackages, so nothing inside the package may import it);
# every other name is a top-level module or subpackage of torch_gsr.
LAYERS = (
    ('torch_gsr', 'cli', '__main__'),  # the command line and the facade
    ('experiments', 'plot', 'interval_plot'),  # runs, tables, figures
    ('train',),  # fit, predict, evaluate, cross-validation, checkpoints
    ('nn',),  # layers, models, losses, the model contract
    ('transforms', 'datasets', 'metrics', 'baselines', 'distributed'),
    ('utils', 'config', 'version'),  # bottom, see BOTTOM below
)
# The bottom row imports nothing from the package but its own unit (utils
# modules may import other utils modules; config never imports utils).
BOTTOM = set(LAYERS[-1])


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def read_imports(root: Path) -> Dict[str, Set[str]]:
    """Each module of the package mapped to the package's modules it
    imports (``from a import b`` counts as importing ``a.b`` when that is a
    module, else ``a``), wherever in the file the import stands."""
    package = root.name
    files = {module_name(path, root): path for path in root.rglob('*.py')}
    graph: Dict[str, Set[str]] = {}
    for name, path in files.items():
        here = name if path.name == '__init__.py' else name.rpartition('.')[0]
        targets: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names
                               if alias.name.split('.')[0] == package)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split('.')[:len(here.split('.')) - node.level + 1]
                    source = '.'.join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ''
                if source.split('.')[0] != package:
                    continue
                for alias in node.names:
                    sub = f'{source}.{alias.name}'
                    targets.add(sub if sub in files else source)
        graph[name] = targets - {name}
    return graph


def unit(module: str) -> str:
    """``torch_gsr.nn.conv.gcn_conv`` -> ``nn``; the package itself -> ``torch_gsr``."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else parts[0]


def rank(module: str) -> Optional[int]:
    """0 for the bottom row, higher for higher rows; ``None`` when the
    module's unit is in no row."""
    for depth, row in enumerate(LAYERS):
        if unit(module) in row:
            return len(LAYERS) - 1 - depth
    return None


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    state: Dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: List[str]) -> Optional[List[str]]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def upward_imports(graph: Dict[str, Set[str]]) -> List[str]:
    found = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            if unit(source) in BOTTOM and unit(target) != unit(source):
                found.append(f'{source} -> {target} (the bottom row imports '
                             f'nothing else)')
            elif rank(target) is not None and rank(source) is not None \
                    and rank(target) > rank(source):
                found.append(f'{source} -> {target}')
    return found


@pytest.fixture(scope='module')
def graph():
    return read_imports(ROOT)


def test_every_module_sits_in_a_layer(graph):
    missing = sorted({unit(m) for m in graph if rank(m) is None})
    assert not missing, f"add these to LAYERS in {__file__}: {missing}"


def test_no_import_cycles(graph):
    cycle = find_cycle(graph)
    assert cycle is None, ' -> '.join(cycle)


def test_imports_point_down(graph):
    found = upward_imports(graph)
    assert not found, 'imports from a lower layer to a higher one:\n' + '\n'.join(found)


def test_no_module_over_400_lines():
    long = {str(path.relative_to(ROOT.parent)): n for path in sorted(ROOT.rglob('*.py'))
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    # A made-up package: nn imports train and utils imports nn (upward);
    # nn.a <-> nn.b (a cycle).
    package = tmp_path / 'torch_gsr'
    (package / 'nn').mkdir(parents=True)
    (package / 'utils').mkdir()
    (package / '__init__.py').write_text('from . import nn, utils\n')
    (package / 'nn' / '__init__.py').write_text('from .a import f\n')
    (package / 'nn' / 'a.py').write_text(
        'from . import b\nfrom ..utils.m import g\nfrom .. import train\n')
    (package / 'train.py').write_text('')
    (package / 'nn' / 'b.py').write_text('def h():\n    from .a import f\n')
    (package / 'utils' / '__init__.py').write_text('')
    (package / 'utils' / 'm.py').write_text('import torch_gsr.nn.b\n')
    graph = read_imports(package)
    assert graph['torch_gsr.nn.a'] == {'torch_gsr.nn.b', 'torch_gsr.utils.m',
                                       'torch_gsr.train'}
    assert graph['torch_gsr'] == {'torch_gsr.nn', 'torch_gsr.utils'}
    assert find_cycle(graph) == ['torch_gsr.nn.a', 'torch_gsr.nn.b', 'torch_gsr.nn.a']
    assert upward_imports(graph) == [
        'torch_gsr.nn.a -> torch_gsr.train',
        'torch_gsr.utils.m -> torch_gsr.nn.b (the bottom row imports nothing else)']
    del graph['torch_gsr.nn.b']
    assert find_cycle(graph) is None


# Docstrings in PyG's shape (issue 18): none over 40 lines, and every layer of
# torch_gsr.nn, a class derived from torch.nn.Module or a PyG layer (models
# derive from SuperResolutionModel instead), documents its shapes.
MAX_DOCSTRING_LINES = 40
LAYER_BASES = {'Module', 'MessagePassing', 'DenseGCNConv', 'TransformerConv',
               'GSRLayer'}
NOT_LAYERS = {'SuperResolutionModel'}  # the models' base class


def docstrings(path: Path):
    """``(name, node, docstring literal)`` of the module, its classes and
    functions."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)) and ast.get_docstring(node):
            name = getattr(node, 'name', '<module>')
            yield name, node, node.body[0].value


def base_names(node: ast.ClassDef) -> Set[str]:
    return {base.attr if isinstance(base, ast.Attribute) else getattr(base, 'id', '')
            for base in node.bases}


def test_no_docstring_over_40_lines():
    long = []
    for path in sorted(ROOT.rglob('*.py')):
        for name, _, literal in docstrings(path):
            lines = literal.end_lineno - literal.lineno + 1
            if lines > MAX_DOCSTRING_LINES:
                long.append(f'{path.relative_to(ROOT.parent)}:{literal.lineno} '
                            f'{name} ({lines} lines)')
    assert not long, 'docstrings over 40 lines:\n' + '\n'.join(long)


def test_every_layer_documents_its_shapes():
    missing = []
    for path in sorted((ROOT / 'nn').rglob('*.py')):
        for name, node, _ in docstrings(path):
            if isinstance(node, ast.ClassDef) and base_names(node) & LAYER_BASES \
                    and name not in NOT_LAYERS and 'Shapes:' not in ast.get_docstring(node):
                missing.append(f'{path.relative_to(ROOT.parent)} {name}')
    assert not missing, 'layers without a Shapes: section:\n' + '\n'.join(missing)


def test_no_released_flag_is_tested_while_predicting_or_scoring():
    # The released code paths are parts chosen when a model is built
    # (init_* hooks), never a branch inside forward, super_resolve or loss.
    found = []
    for path in sorted((ROOT / 'nn').rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in (
                    'forward', 'super_resolve', 'loss'):
                found += [f'{path.name}:{node.name}' for inner in ast.walk(node)
                          if isinstance(inner, ast.Attribute) and inner.attr == 'released']
    assert not found, found


def test_fit_takes_at_most_twelve_parameters():
    # The rest are FitConfig's fields (fit's **options).
    tree = ast.parse((ROOT / 'train' / 'loop.py').read_text())
    fit = next(node for node in tree.body
               if isinstance(node, ast.FunctionDef) and node.name == 'fit')
    arguments = fit.args
    count = (len(arguments.args) + len(arguments.kwonlyargs)
             + (arguments.vararg is not None) + (arguments.kwarg is not None))
    assert count <= 12, count
