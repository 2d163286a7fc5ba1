"""Cells of CSV files meant for spreadsheets, made safe from formula injection.

Excel and LibreOffice evaluate a cell whose text starts with ``=``, ``+``,
``-`` or ``@`` (and, in some versions, a tab or carriage return) as a
formula, so an account name such as ``=HYPERLINK(...)`` taken from an export
could run when a user opens a reject file or a listing. Following the OWASP
advice on CSV injection, such text is written with a leading single quote,
which spreadsheets show as text. Numbers are written unchanged.
"""

from __future__ import annotations

import re
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text that spreadsheets read as a plain number, such as -5000 or +1.5e3.
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """Return the value, with text that a spreadsheet would evaluate quoted."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value
