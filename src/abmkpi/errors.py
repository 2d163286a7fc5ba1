"""Exceptions raised by abmkpi.

Every error the product raises on purpose derives from :class:`AbmkpiError`, so
the CLI and the API can catch one type and show its message. Messages name the
bad value, where it came from, and what to do next.

::

    AbmkpiError
    ├── ConfigError          invalid workspace config (file, key, value)
    ├── WorkspaceError       workspace missing, already present, or locked
    │   └── StoreBusyError   another process holds the store open
    ├── InputError           a bad input file (file, line, column, value)
    │   ├── EncodingError    bytes that do not decode in the detected encoding
    │   ├── CsvFormatError   truncated file, unterminated quote, wrong field count
    │   ├── DateFormatError  a date column whose day/month order is ambiguous
    │   └── RejectLimitError more invalid rows than the import allows
    ├── MappingError         invalid generic-CSV mapping file
    ├── PeriodError          a period string that does not parse
    ├── FieldError           one invalid value of a named field (also a ValueError)
    ├── NotFoundError        an account, person or import id that does not exist
    ├── ReportError          a report pack cannot be rendered or written
    ├── StoreError           a database statement failed (table and statement)
    └── DeliveryError        a notification could not be sent (channel, reason)
        └── DeliveryTimeout  the channel did not respond within its timeout
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class AbmkpiError(Exception):
    """Base class of every error abmkpi raises on purpose."""


class ConfigError(AbmkpiError):
    """The workspace config file is missing a value or holds an invalid one."""


class WorkspaceError(AbmkpiError):
    """The workspace directory is missing, already initialised, or locked."""


class StoreBusyError(WorkspaceError):
    """Another process holds the workspace's store open, so this one cannot
    open it; ``pid`` is that process's id when DuckDB names it."""

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file, located as precisely as the reader can."""

    file: Path
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def describe(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column!r}"
        if self.value is not None:
            where += f", value {_clip(self.value)!r}"
        return f"{where}: {self.reason}"


def _clip(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


class InputError(AbmkpiError):
    """An input file cannot be imported as it is."""

    def __init__(self, problems: list[InputProblem] | InputProblem, hint: str = ""):
        if isinstance(problems, InputProblem):
            problems = [problems]
        self.problems = problems
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        shown = self.problems[:10]
        lines = [problem.describe() for problem in shown]
        hidden = len(self.problems) - len(shown)
        if hidden > 0:
            lines.append(f"... and {hidden} more problems")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class EncodingError(InputError):
    """Bytes in the file do not decode in the detected or requested encoding."""


class CsvFormatError(InputError):
    """The file is not well-formed CSV (truncated, unterminated quote, …)."""


class DateFormatError(InputError):
    """A date column's format cannot be decided from its values."""


class RejectLimitError(InputError):
    """More rows were invalid than ``--max-rejects`` allows."""


class MappingError(AbmkpiError):
    """A generic-CSV mapping file is invalid."""


class PeriodError(AbmkpiError):
    """A period string does not parse."""


class FieldError(AbmkpiError, ValueError):
    """One invalid value of a named field: a CLI option, form field or API body
    field. ``field`` is the name the API and the dashboard use, such as
    ``due_date``; the CLI maps it to its option."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class NotFoundError(AbmkpiError):
    """A requested record does not exist in the workspace."""


class ReportError(AbmkpiError):
    """A report pack cannot be rendered (no browser for PDF) or written."""


class StoreError(AbmkpiError):
    """A database statement failed; the message names the table and statement."""

    def __init__(self, message: str, table: str | None = None, statement: str = ""):
        self.table = table
        self.statement = statement
        detail = message
        if table:
            detail = f"table {table}: {detail}"
        if statement:
            detail += f"\nstatement: {_clip(' '.join(statement.split()), 400)}"
        super().__init__(detail)


class DeliveryError(AbmkpiError):
    """A notification channel failed to send a message; it is retried later."""


class DeliveryTimeout(DeliveryError):
    """A webhook or SMTP server did not respond within its timeout."""
