"""Read a dumped mmengine config without executing it.

An mmengine runner dumps its config into the work dir
(``WORK_DIR/<config name>.py`` and ``<timestamp>/vis_data/config.py``) as
the text of :attr:`mmengine.config.Config.pretty_text`: one assignment per
top-level key, whose values are literals, ``dict(key=value, ...)`` calls
(``dict({'key-with-dash': value})`` for keys that are no identifiers),
lists and tuples. :meth:`mmengine.config.Config.fromfile` would *execute*
such a file, and a work dir is data, not code: anyone who can write into
it (a shared file system, a downloaded run) could make a reader run
``__import__('os').system(...)``. :func:`read_config_literals` parses the
text with :mod:`ast` and builds the values from an explicit whitelist of
nodes, in the spirit of :func:`ast.literal_eval`; any other node raises
:class:`ConfigTextError` naming the file and the line.
"""
import ast
import os
import os.path as osp
from typing import Any, Dict, Union

from .errors import UserError

#: what the whitelist admits and what to do, for the error messages
_ADVICE = ('a dumped config is read as plain literals (numbers, strings, '
           'True / False / None, lists, tuples, dicts, dict(...)) and '
           'nothing in it is executed. mmengine dumps only such literals, '
           'so this file was edited or is not a dump: dump the config again '
           'from a source you trust (Config.fromfile(SOURCE).dump(PATH))')
#: names that are values (Python < 3.8 parses them as ast.Name)
_NAMED_CONSTANTS = {'True': True, 'False': False, 'None': None}
#: the constant types a dump can hold
_CONSTANT_TYPES = (str, bytes, int, float, complex, bool, type(None))


class ConfigTextError(UserError, ValueError):
    """A config text that is not plain literals (or does not parse); the
    message names the file and the line."""


def _source(node: ast.AST) -> str:
    """``node``'s source, shortened to one line of at most 60 chars."""
    try:
        source = ast.unparse(node).split('\n')[0]
    except Exception:  # noqa: B902 a node unparse cannot render
        return '?'
    return source if len(source) <= 60 else source[:57] + '...'


def _describe(node: ast.AST) -> str:
    """What kind of node ``node`` is, and its source."""
    kinds = {
        ast.Call: 'a call',
        ast.Attribute: 'an attribute access',
        ast.Name: 'a name',
        ast.Lambda: 'a lambda',
        ast.ListComp: 'a comprehension',
        ast.SetComp: 'a comprehension',
        ast.DictComp: 'a comprehension',
        ast.GeneratorExp: 'a generator expression',
        ast.BinOp: 'an operator expression',
        ast.BoolOp: 'an operator expression',
        ast.Compare: 'a comparison',
        ast.Subscript: 'a subscript',
        ast.JoinedStr: 'an f-string',
        ast.Starred: 'an unpacking (*)',
        ast.IfExp: 'a conditional expression',
        ast.Import: 'an import',
        ast.ImportFrom: 'an import',
        ast.FunctionDef: 'a function definition',
        ast.ClassDef: 'a class definition',
        ast.Expr: 'an expression statement',
        ast.Assign: 'an assignment to several names or an item',
        ast.UnaryOp: 'an operator on a value that is not a number',
        ast.Constant: 'a constant of another type',
    }
    kind = next((text for cls, text in kinds.items()
                 if isinstance(node, cls)), type(node).__name__)
    return f'{kind} `{_source(node)}`'


def _refuse(node: ast.AST, filename: str, what: str = '') -> ConfigTextError:
    line = getattr(node, 'lineno', '?')
    return ConfigTextError(
        f'{filename}:{line}: {what or _describe(node)} is not allowed: '
        f'{_ADVICE}.')


def _hashable(value: Any, node: ast.AST, filename: str) -> Any:
    try:
        hash(value)
    except TypeError:
        raise _refuse(node, filename, 'an unhashable dict key or set item '
                      f'`{_source(node)}`') from None
    return value


def _value(node: ast.AST, filename: str) -> Any:
    """The value of one whitelisted expression node (recursively)."""
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, _CONSTANT_TYPES):
            raise _refuse(node, filename)  # e.g. Ellipsis
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMED_CONSTANTS:
        return _NAMED_CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(
            node.op, (ast.USub, ast.UAdd)):
        operand = _value(node.operand, filename)
        # only a signed number: -1, -0.5, +3 (not -True, not -'a')
        if not isinstance(operand, (int, float, complex)) or isinstance(
                operand, bool):
            raise _refuse(node, filename)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.List):
        return [_value(item, filename) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(item, filename) for item in node.elts)
    if isinstance(node, ast.Set):
        return {
            _hashable(_value(item, filename), item, filename)
            for item in node.elts
        }
    if isinstance(node, ast.Dict):
        result = {}
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**other}
                raise _refuse(value, filename,
                              f'an unpacking `**{_source(value)}`')
            result[_hashable(_value(key, filename), key,
                             filename)] = _value(value, filename)
        return result
    if isinstance(node, ast.Call) and isinstance(
            node.func, ast.Name) and node.func.id == 'dict':
        return _dict_call(node, filename)
    raise _refuse(node, filename)


def _dict_call(node: ast.Call, filename: str) -> Dict[Any, Any]:
    """``dict(key=value, ...)`` or ``dict({...})`` (mmengine writes the
    latter for keys that are no identifiers)."""
    if len(node.args) > 1 or any(
            not isinstance(arg, ast.Dict) for arg in node.args):
        raise _refuse(node, filename,
                      f'a dict() call with arguments other than one {{...}} '
                      f'literal `{_source(node)}`')
    result = _value(node.args[0], filename) if node.args else {}
    for keyword in node.keywords:
        if keyword.arg is None:  # dict(**other)
            raise _refuse(keyword.value, filename,
                          f'an unpacking `**{_source(keyword.value)}`')
        result[keyword.arg] = _value(keyword.value, filename)
    return result


def parse_config_literals(text: str,
                          filename: str = '<config text>') -> Dict[str, Any]:
    """The top-level keys of a dumped config text, nothing executed.

    Args:
        text (str): the config text (``Config.pretty_text``).
        filename (str): named in the errors.

    Returns:
        dict: key -> value (plain dicts, lists, tuples, literals), as
        ``Config.fromfile(...).to_dict()`` gives for a dumped config.

    Raises:
        ConfigTextError: the text does not parse, or holds a statement
            other than ``name = value`` or a value other than the
            whitelisted literals; the message names file and line.
    """
    try:
        tree = ast.parse(text, filename=filename, mode='exec')
    except SyntaxError as err:
        raise ConfigTextError(
            f'{filename}:{err.lineno}: not valid Python ({err.msg}), so no '
            'config dumped by mmengine; dump the config again from its '
            'source (Config.fromfile(SOURCE).dump(PATH))') from err
    result: Dict[str, Any] = {}
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            raise _refuse(statement, filename,
                          f'{_describe(statement)} (a statement other than '
                          '`name = value`)')
        result[statement.targets[0].id] = _value(statement.value, filename)
    return result


def read_config_literals(path_or_text: Union[str, 'os.PathLike[str]']
                         ) -> Dict[str, Any]:
    """Read a dumped mmengine config (a file, or its text) without
    executing it.

    Args:
        path_or_text (str | PathLike): a path (a PathLike, or a one-line
            string naming an existing file or ending in ``.py``), or the
            config text itself (any other string, e.g. one with a
            newline).

    Returns:
        dict: the config's top-level keys and their values.

    Raises:
        ConfigTextError: the file cannot be read, does not parse, or holds
            anything but literals (see :func:`parse_config_literals`).
    """
    is_path = isinstance(path_or_text, os.PathLike) or (
        '\n' not in path_or_text
        and (osp.isfile(path_or_text) or path_or_text.endswith('.py')))
    if not is_path:
        return parse_config_literals(str(path_or_text))
    filename = os.fspath(path_or_text)
    try:
        with open(filename, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, 'strerror', None) or str(err)
        raise ConfigTextError(
            f"cannot read config '{filename}': {reason}") from err
    return parse_config_literals(text, filename)
