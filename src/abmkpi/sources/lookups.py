"""Lookup files: filling a column from another file joined on a key column.

A flat export often leaves out a value that a reference table provides:
Maven's pipeline has no value for open deals, but its product price list has
a price for each product. A lookup reads such a file once, keyed by one
column, and returns the typed value of another column for each key.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmkpi.errors import InputError, InputProblem
from abmkpi.sources.csvfile import read_csv
from abmkpi.sources.fields import Field, FieldKind, ParseContext, parse_table


def lookup_key(text: str | None, normalize: bool) -> str | None:
    """Return the comparable form of a key, or None for an empty one.

    Normalized keys ignore case, character width and every space, so the
    pipeline's ``GTXPro`` finds the price list's ``GTX Pro``.
    """
    if text is None or not text.strip():
        return None
    if not normalize:
        return text.strip()
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class LookupTable:
    """The values of one lookup file, by key."""

    path: Path
    normalize: bool
    values: dict[str, Any]
    rows_read: int = 0
    checksum: str = ""
    encoding: str = ""

    def get(self, key: str | None) -> tuple[bool, Any]:
        """Return whether the key is present, and its value."""
        comparable = lookup_key(key, self.normalize)
        if comparable is None or comparable not in self.values:
            return False, None
        return True, self.values[comparable]


def load_lookup(
    path: Path,
    key: str,
    value: str,
    kind: FieldKind,
    normalize: bool,
    context: ParseContext,
    encoding: str | None = None,
    named_by: str = "a lookup",
) -> LookupTable:
    """Read a lookup file; raise InputError on a missing column, bad value or
    a key listed twice with different values."""
    csv_file = read_csv(path, encoding)

    missing = [header for header in (key, value) if csv_file.column(header) is None]
    if missing:
        raise InputError(
            [
                InputProblem(
                    path, 1, header, None, f"column named by {named_by} is missing"
                )
                for header in missing
            ],
            hint=f"columns found: {', '.join(csv_file.header)}",
        )

    fields = [Field.of("key", key), Field.of("value", value, kind=kind)]
    parsed = parse_table(csv_file, fields, context)
    if parsed.problems:
        raise InputError(
            parsed.problems, hint=f"fix the lookup file; {named_by} reads it"
        )

    values: dict[str, Any] = {}
    first_lines: dict[str, int] = {}
    conflicts: list[InputProblem] = []
    for row in parsed.rows:
        comparable = lookup_key(row.values["key"], normalize)
        if comparable is None:
            continue
        if comparable in values and values[comparable] != row.values["value"]:
            conflicts.append(
                InputProblem(
                    path,
                    row.line,
                    parsed.header_of("key"),
                    row.values["key"],
                    f"key listed again with a different {value} "
                    f"(first on line {first_lines[comparable]})",
                )
            )
            continue
        values.setdefault(comparable, row.values["value"])
        first_lines.setdefault(comparable, row.line)

    if conflicts:
        raise InputError(conflicts, hint="keep one row per key in the lookup file")
    return LookupTable(
        path,
        normalize,
        values,
        rows_read=len(csv_file.rows),
        checksum=csv_file.checksum,
        encoding=csv_file.encoding,
    )
