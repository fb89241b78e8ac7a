"""Tables of results: markdown (README, model zoo, benchmark output) and
aligned plain text (terminals).

Written here rather than taken from ``tabulate`` / ``rich``: the output
must be byte-stable (tests and generated docs compare it), GitHub's
``|---|`` separator without padding, and no new dependency for a
20-line job.
"""
import math
from typing import Any, Optional, Sequence


def format_number(value: Optional[float], spec: str = '.2f',
                  missing: str = 'n/a', sign: bool = False) -> str:
    """A number for a cell; ``missing`` for None, NaN or inf.

    Args:
        value (float, optional): the number.
        spec (str): its format spec. Defaults to ``'.2f'``.
        missing (str): the text of a missing number. Defaults to 'n/a'.
        sign (bool): always write the sign (differences). Defaults to
            False.
    """
    if value is None or not math.isfinite(value):
        return missing
    return format(value, ('+' if sign else '') + spec)


def markdown_table(header: Sequence[Any],
                   rows: Sequence[Sequence[Any]]) -> str:
    """``| a | b |`` lines under a ``|---|---|`` separator."""
    lines = ['| ' + ' | '.join(str(h) for h in header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)


def text_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell, two spaces apart, a dashed rule
    under the header, no trailing spaces."""
    widths = [
        max(len(str(line[i])) for line in [header, *rows])
        for i in range(len(header))
    ]
    lines = [
        '  '.join(str(h).ljust(w) for h, w in zip(header, widths)).rstrip(),
        '  '.join('-' * w for w in widths)
    ]
    lines += [
        '  '.join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
        for row in rows
    ]
    return '\n'.join(lines)


def render_table(header: Sequence[Any], rows: Sequence[Sequence[Any]],
                 fmt: str = 'markdown') -> str:
    """:func:`markdown_table` (``fmt='markdown'``) or :func:`text_table`
    (``fmt='text'``)."""
    if fmt == 'markdown':
        return markdown_table(header, rows)
    if fmt == 'text':
        return text_table(header, rows)
    raise ValueError(f'unknown table format {fmt!r} (markdown, text)')
