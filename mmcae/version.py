"""mmcae version and the check of the OpenMMLab stack it is built on.

mmcae is tested against exactly one stack (see README.md). A mismatched
package rarely fails at import time; it fails later, deep inside a run (a
missing mmcv op, a renamed mmengine argument). :func:`check_stack` turns that
into one message at import time that names the package and the command that
fixes it.
"""
import warnings
from importlib import metadata
from typing import Dict, List

__version__ = '0.1.0'

#: distribution name -> version mmcae is tested with
STACK_VERSIONS: Dict[str, str] = {
    'torch': '2.14.1',
    'torchvision': '0.29.1',
    'mmengine': '0.10.7',
    'mmcv': '2.1.0',
    'mmdet': '3.3.0',
    'mmsegmentation': '1.2.2',
    'mmpretrain': '1.2.0',
}

#: what to run to fix a mismatch of each distribution
_FIX_HINTS: Dict[str, str] = {
    'mmcv': ('bash tools/install.sh  (builds mmcv 2.1.0 with its ops under '
             'C++20 and caches the wheel; `pip install mmcv` does not work '
             'with torch 2.14)'),
}


def _installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ''


def stack_problems() -> List[str]:
    """List the differences between the installed and the tested stack.

    Returns:
        list[str]: one human-readable line per problem; empty when the
        installed versions are the tested ones. Local version labels
        (``2.14.1+cu130``) are ignored.
    """
    problems = []
    for dist, wanted in STACK_VERSIONS.items():
        found = _installed_version(dist)
        hint = _FIX_HINTS.get(dist, f'pip install {dist}=={wanted}')
        lite = _installed_version('mmcv-lite') if dist == 'mmcv' else ''
        if not found and lite:
            # mmcv-lite (no compiled ops) is enough for pretraining only
            problems.append(f'only mmcv-lite {lite} is installed: no compiled '
                            'ops, enough for pretraining but not for mmseg / '
                            f'mmdet; fix: {hint}')
        elif not found:
            problems.append(f'{dist} is not installed (mmcae needs {dist}=='
                            f'{wanted}); fix: {hint}')
        elif found.split('+')[0] != wanted:
            problems.append(f'{dist} {found} is installed but mmcae is tested '
                            f'with {dist}=={wanted}; fix: {hint}')
    return problems


def check_stack(strict: bool = False, verbose: bool = False) -> List[str]:
    """Check the installed OpenMMLab stack against the tested versions.

    Args:
        strict (bool): raise ``RuntimeError`` on any problem (also when
            mmcv's compiled ops do not load) instead of warning.
            Defaults to False.
        verbose (bool): print the installed versions. Defaults to False.

    Returns:
        list[str]: the problems found (see :func:`stack_problems`).
    """
    problems = stack_problems()
    if strict and not any(p.startswith('mmcv') for p in problems):
        try:
            import mmcv._ext  # noqa: F401
        except ImportError as err:
            problems.append(f'mmcv is installed but its compiled ops do not '
                            f'load ({err}); fix: {_FIX_HINTS["mmcv"]}')
    if verbose:
        for dist in STACK_VERSIONS:
            print(f'    {dist:<15} {_installed_version(dist) or "-"}')
        print(f'    {"mmcae":<15} {__version__}')
    if problems:
        message = 'mmcae stack check:\n  ' + '\n  '.join(problems)
        if strict:
            raise RuntimeError(message)
        warnings.warn(message, stacklevel=2)
    return problems
