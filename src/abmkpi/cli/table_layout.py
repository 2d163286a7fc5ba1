"""Column widths and line breaks of the CLI tables.

Rich folds a long cell at any character, which splits amounts, ratios and
dates (``￥428,008,31`` / ``1``). Here cells break only between units. A run
of narrow characters (a number, an amount, a date, an id or an English word)
is one unit, with a leading currency sign and a trailing counter such as 倍
or 件. Japanese text breaks between its wide characters. Numeric
(right-aligned) columns break only at spaces. A table that cannot fit the
console with every unit whole is split into several tables, each repeating
the first column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

# Characters of at least 2 cells: Japanese text, full-width forms.
_WIDE_RANGES = (
    "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
# A unit never split: narrow characters with an optional currency sign before
# and an optional counter after, or one wide character. Closing punctuation
# stays on the line of the text before it.
_UNIT = re.compile(
    rf"(?:[￥¥$€£]?[^\s{_WIDE_RANGES}]+[倍件日円人社時間分秒％]?|[{_WIDE_RANGES}])"
    r"[、。，．）」』】]*"
    r"|\s+"
)
_NON_SPACE = re.compile(r"\S+")
# Widest header (in cells) that is never wrapped, such as ティア or 目標.
HEADER_KEPT = 6
# Cells between two columns (one padding cell each side) plus the border.
_COLUMN_GAP = 3


@dataclass(frozen=True)
class ColumnFit:
    """The narrowest and widest width (in cells) a column's text needs."""

    minimum: int
    maximum: int


def units(text: str, numeric: bool) -> list[str]:
    """Split ``text`` into the pieces a line may break between; whitespace
    pieces are break opportunities. A numeric cell breaks only at spaces."""
    pattern = _NON_SPACE if numeric else _UNIT
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            pieces.append(text[position : match.start()])
        pieces.append(match.group())
        position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    return pieces


def fit(header: str, texts: Sequence[str], numeric: bool) -> ColumnFit:
    """Return the widths a column needs with no unit split. A header of up to
    ``HEADER_KEPT`` cells stays on one line."""
    minimum = min(cell_len(header), HEADER_KEPT)
    maximum = 1
    for text in [header, *texts]:
        for line in text.split("\n"):
            maximum = max(maximum, cell_len(line))
            for piece in units(line, numeric):
                if not piece.isspace():
                    minimum = max(minimum, cell_len(piece))
    return ColumnFit(minimum, maximum)


def wrap(text: str, width: int, numeric: bool) -> str:
    """Break ``text`` into lines of at most ``width`` cells between units.

    A unit wider than the column, which only happens when one column alone
    is wider than the console, is folded at characters as a last resort.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_line(paragraph, width, numeric))
    return "\n".join(lines)


def _wrap_line(text: str, width: int, numeric: bool) -> list[str]:
    lines: list[str] = []
    line = ""
    space = ""
    for piece in units(text, numeric):
        if piece.isspace():
            space = " " if line else ""
            continue
        joined = line + space + piece
        if cell_len(joined) <= width:
            line = joined
        else:
            if line:
                lines.append(line)
            line = piece
            while cell_len(line) > width:
                head = _fold(line, width)
                lines.append(head)
                line = line[len(head) :]
        space = ""
    lines.append(line)
    return lines


def _fold(text: str, width: int) -> str:
    """Return the longest start of ``text`` that fits ``width`` cells."""
    end = 1
    while end < len(text) and cell_len(text[: end + 1]) <= width:
        end += 1
    return text[:end]


def layout(fits: Sequence[ColumnFit], available: int) -> list[list[int]] | None:
    """Choose column widths, or return None when the table fits as it is.

    Each returned group is a list of column indexes, starting with column 0,
    to print as one table whose columns all fit ``available`` cells at their
    minimum width.
    """
    if _table_width([fit.maximum for fit in fits]) <= available:
        return None
    groups: list[list[int]] = [[0]]
    for index in range(1, len(fits)):
        candidate = [*groups[-1], index]
        if len(groups[-1]) > 1 and (
            _table_width([fits[i].minimum for i in candidate]) > available
        ):
            groups.append([0, index])
        else:
            groups[-1] = candidate
    return groups


def widths(fits: Sequence[ColumnFit], available: int) -> list[int]:
    """Share ``available`` cells between columns: each gets its minimum, then
    the rest is shared equally among the columns still narrower than their
    widest line, so short columns show whole and long text wraps."""
    chosen = [fit.minimum for fit in fits]
    spare = available - _table_width(chosen)
    while spare > 0:
        short = [i for i, fit in enumerate(fits) if chosen[i] < fit.maximum]
        if not short:
            break
        share = max(1, spare // len(short))
        for index in short:
            given = min(share, fits[index].maximum - chosen[index], spare)
            chosen[index] += given
            spare -= given
    return chosen


def _table_width(column_widths: Sequence[int]) -> int:
    return sum(column_widths) + _COLUMN_GAP * len(column_widths) + 1
