"""Helpers shared by the CLI commands: workspace lookup and output formats."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.text import Text

from abmkpi.cli import console, state, table_layout
from abmkpi.periods import iso_instant
from abmkpi.spreadsheet import safe_cell

if TYPE_CHECKING:
    from abmkpi.periods import Period
    from abmkpi.workspace import Workspace


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def bad_parameter(
    error: ValueError, options: dict[str, str], option: str | None = None
) -> typer.BadParameter:
    """Return a usage error for a rejected value in the language of messages,
    naming ``option``, or the option typed when the error is a FieldError of
    one of ``options`` (field name → option)."""
    from abmkpi.cli import say
    from abmkpi.errors import FieldError, message_of

    if isinstance(error, FieldError):
        option = options.get(error.field, option)
    return typer.BadParameter(say(message_of(error)), param_hint=option)


def load_workspace() -> Workspace:
    # Imported here, not at the top: the store module loads DuckDB, which
    # 'abmkpi --help' and argument errors do not need.
    from abmkpi.workspace import Workspace

    if state.workspace is not None:
        workspace = Workspace.load(state.workspace)
    else:
        workspace = Workspace.find()
    state.workspace_language = workspace.settings.workspace.language
    return workspace


def language(workspace: Workspace | None = None) -> str:
    if state.language in ("ja", "en"):
        return state.language
    return workspace.settings.workspace.language if workspace else "en"


def resolve_period(workspace: Workspace, text: str | None, default: str) -> Period:
    return workspace.calendar.parse(text or default)


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(document: Any) -> None:
    """Print a document as JSON (RFC 8259): infinity and NaN become null."""
    sys.stdout.write(
        json.dumps(
            json_safe(document),
            ensure_ascii=False,
            indent=2,
            default=json_default,
            allow_nan=False,
        )
    )
    sys.stdout.write("\n")


def json_safe(value: Any) -> Any:
    """Return the value with every non-finite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def print_csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Print CSV with a byte-order mark, so Excel reads Japanese text correctly.

    Text that a spreadsheet would run as a formula is written quoted.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(_csv_value(row.get(k))) for k in columns})
    sys.stdout.write(buffer.getvalue())


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    right: Sequence[int] = (),
    row_lines: bool = False,
) -> None:
    """Print a table that fits the console width.

    A long cell wraps at spaces and between Japanese characters, but not
    inside a number, amount, ratio, date or id, and the right-aligned
    (numeric) columns break only at spaces. A table too wide for that is
    printed as several tables, each repeating the first column. Only a value
    wider than the whole console is folded at characters.
    ``row_lines`` draws a line between rows, for cells that often wrap.
    """
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    numeric = [index in right for index in range(len(columns))]
    fits = [
        table_layout.fit(columns[index], [row[index] for row in cells], numeric[index])
        for index in range(len(columns))
    ]
    groups = table_layout.layout(fits, console.width)
    if groups is None:
        table = Table(title=Text(title), title_justify="left", show_lines=row_lines)
        for index, column in enumerate(columns):
            table.add_column(
                column,
                justify="right" if numeric[index] else "left",
                no_wrap=True,
            )
        for row in cells:
            # Text cells: data such as account names must never be read as markup.
            table.add_row(*[Text(value) for value in row])
        console.print(table)
        return
    for number, group in enumerate(groups):
        group_fits = [fits[index] for index in group]
        group_widths = table_layout.widths(group_fits, console.width)
        table = Table(
            title=Text(title) if number == 0 else None,
            title_justify="left",
            show_lines=row_lines,
        )
        for index, width in zip(group, group_widths, strict=True):
            table.add_column(
                Text(table_layout.wrap(columns[index], width, numeric[index])),
                justify="right" if numeric[index] else "left",
                width=width,
                no_wrap=True,
                overflow="fold",
            )
        for row in cells:
            table.add_row(
                *[
                    Text(table_layout.wrap(row[index], width, numeric[index]))
                    for index, width in zip(group, group_widths, strict=True)
                ]
            )
        console.print(table)
