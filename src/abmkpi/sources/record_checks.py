"""Checking every record of a batch against the rules of its canonical columns.

Importers check values as they parse them, but a value can still break a
column's rule after parsing: a unit multiplier overflows, a lookup fills a
negative amount, a native export contains an exchange rate of 0. The loader
runs these checks on every record before it writes anything, so no source
can store a value the KPIs cannot use (see
:func:`~abmkpi.sources.canonical_columns.check_value`). Problems name the
canonical column, because a record no longer carries its source header.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from abmkpi.errors import InputProblem
from abmkpi.sources.base import Record
from abmkpi.sources.canonical_columns import VOCABULARIES, check_value
from abmkpi.store.schema import TABLES_BY_NAME, Table

_CHECKED_TYPES = ("DOUBLE", "INTEGER", "BIGINT")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

Check = Callable[[object], str | None]


def check_records(records: list[Record]) -> list[InputProblem]:
    """Check and normalise every record's values; return the problems found.

    Currency codes are upper-cased in place (``usd`` is ``USD``), because rates
    are looked up by the exact code.
    """
    checks = {name: _checks_of(table) for name, table in TABLES_BY_NAME.items()}
    problems: list[InputProblem] = []
    for record in records:
        for column, check in checks[record.table]:
            value = record.values.get(column)
            if value is None:
                continue
            if column == "currency":
                value = record.values[column] = str(value).strip().upper()
            reason = check(value)
            if reason is not None:
                problems.append(
                    InputProblem(
                        record.file, record.line, column, str(value), f"{reason}"
                    )
                )
    return problems


def _checks_of(table: Table) -> list[tuple[str, Check]]:
    """Return the columns of a table that have a rule, each with its check."""
    checks: list[tuple[str, Check]] = []
    for column, definition in table.source_columns.items():
        if column == "currency":
            checks.append((column, _check_currency))
        elif (
            definition.split()[0].upper() in _CHECKED_TYPES
            or (table.name, column) in VOCABULARIES
        ):
            checks.append((column, _value_check(table, column)))
    return checks


def _value_check(table: Table, column: str) -> Check:
    def check(value: object) -> str | None:
        reason = check_value(table, column, value)
        return None if reason is None else f"{value!r} is {reason}"

    return check


def _check_currency(value: object) -> str | None:
    if _CURRENCY_CODE.match(str(value)):
        return None
    return "not a currency code; write three letters (ISO 4217), such as USD or JPY"
