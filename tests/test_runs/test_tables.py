"""mmcae.runs.tables: the markdown and plain-text tables."""
import math

import pytest

from mmcae.runs.tables import (format_number, markdown_table, render_table,
                               text_table)


def test_markdown_table():
    assert markdown_table(['a', 'b'], [[1, 'x'], ['2.50', '']]) == (
        '| a | b |\n|---|---|\n| 1 | x |\n| 2.50 |  |')


def test_text_table_is_aligned_without_trailing_spaces():
    text = text_table(['Method', 'LIN'], [['CAE', '64.50'], ['MAE', '']])
    assert text.splitlines() == [
        'Method  LIN', '------  -----', 'CAE     64.50', 'MAE']


def test_render_table_dispatches_and_rejects_unknown_formats():
    assert render_table(['a'], [[1]]) == markdown_table(['a'], [[1]])
    assert render_table(['a'], [[1]], 'text') == text_table(['a'], [[1]])
    with pytest.raises(ValueError, match='html'):
        render_table(['a'], [[1]], 'html')


def test_format_number():
    assert format_number(1.234) == '1.23'
    assert format_number(1.5, sign=True) == '+1.50'
    assert format_number(-0.25, sign=True) == '-0.25'
    assert format_number(math.nan) == 'n/a'
    assert format_number(None, missing='-') == '-'
    assert format_number(math.inf) == 'n/a'
    assert format_number(3.14159, '.3f') == '3.142'
