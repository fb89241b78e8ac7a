"""Models import neither the data pipeline nor checkpoint code (anywhere in
a module, functions included): checkpoint conversion builds on the model
layers, so the dependency goes one way; checkpoint loading reaches models
through the ``mmcae.ViTPretrained`` / ``mmcae.StrictPretrained`` weight
initializers registered by :mod:`mmcae.checkpoint`."""
import ast
import os.path as osp
from pathlib import Path

from tests.helpers import REPO_ROOT

FORBIDDEN = ('mmcae.datasets', 'mmcae.checkpoint')


def _imported_modules(path: Path):
    """Every module an import statement of ``path`` names, relative ones
    resolved against the file's package."""
    package = '.'.join(
        path.relative_to(REPO_ROOT).with_suffix('').parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split('.')
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = '.'.join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield name
            yield from (f'{name}.{alias.name}' for alias in node.names)


def test_models_import_neither_datasets_nor_checkpoint():
    offenders = []
    for path in sorted(Path(REPO_ROOT, 'mmcae', 'models').rglob('*.py')):
        for name in _imported_modules(path):
            if name.startswith(FORBIDDEN):
                offenders.append(f'{osp.relpath(path, REPO_ROOT)}: {name}')
    assert not offenders, offenders

