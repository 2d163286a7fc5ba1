"""Exceptions raised by abmkpi.

Every error the product raises on purpose derives from :class:`AbmkpiError`, so
the CLI and the API can catch one type and show its message. Messages name the
bad value, where it came from, and what to do next. An error built from a
:class:`UserMessage` is English as a string (logs, the API) and is shown by
the CLI in the language of ``--lang`` or the workspace.

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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class UserMessage(str):
    """A user-facing message: an English template and its parameters.

    ``template`` contains ``%(name)s`` fields and is the catalog id. The string
    value is the English text, which logs, JSON documents and the API show,
    so a message works wherever a plain string did. :meth:`render` renders it
    in another language for the CLI. A parameter that is itself a
    ``UserMessage`` is rendered in the same language, and other parameters
    (ids, values, paths) are inserted as they are. The template is always
    %-formatted, so a literal percent sign is written ``%%``. The catalog
    test extracts every ``UserMessage("...")`` call of the package.
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, **params: Any) -> UserMessage:
        message = super().__new__(cls, _format(template, params, "en"))
        message.template = template
        message.params = params
        return message

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, Any]]:
        return (self.template,), dict(self.params)

    def render(self, language: str = "en") -> str:
        return _format(self.template, self.params, language)

    def __repr__(self) -> str:
        return f"UserMessage({self.template!r}, **{dict(self.params)!r})"


def _format(template: str, params: Mapping[str, Any], language: str) -> str:
    if language != "en":
        # Imported here: Babel is loaded only when a message is translated.
        from abmkpi.i18n import translate

        template = translate(template, language)
    values = {
        name: value.render(language) if isinstance(value, UserMessage) else value
        for name, value in params.items()
    }
    return template % values


# A skip reason or note: plain English text, or a message the CLI translates.
# (A UserMessage is a str; the union names both kinds for readers.)
MessageText = str | UserMessage


def render(message: MessageText, language: str = "en") -> str:
    """Return a message in ``language``; plain strings are returned unchanged."""
    return message.render(language) if isinstance(message, UserMessage) else message


def message_of(error: BaseException) -> MessageText:
    """Return the error's :class:`UserMessage` if it carries one, else its text."""
    message = getattr(error, "message", None)
    return message if isinstance(message, UserMessage) else str(error)


class MessageValueError(ValueError):
    """A ValueError of a parser that the CLI shows in its own language, and
    that stays a plain ValueError for callers (the API, config validation)."""

    def __init__(self, message: UserMessage):
        self.message = message
        super().__init__(str(message))


class AbmkpiError(Exception):
    """Base class of every error abmkpi raises on purpose.

    The error takes a plain English string or a :class:`UserMessage`. ``str()``
    is English in both cases; :meth:`render` gives the CLI's language when
    the error carries a ``UserMessage``.
    """

    def __init__(self, message: str | UserMessage = "", *args: Any):
        self.message = message
        super().__init__(str(message), *args)

    def render(self, language: str) -> str:
        """Return the error message in ``language`` (English when untranslated)."""
        if isinstance(self.message, UserMessage):
            return self.message.render(language)
        return str(self)


class ConfigError(AbmkpiError):
    """The workspace config file is missing a value or holds an invalid one."""


class WorkspaceError(AbmkpiError):
    """The workspace directory is missing, already initialised, or locked."""


class StoreBusyError(WorkspaceError):
    """Another process has the workspace's store open, so this one cannot
    open it. ``pid`` is that process's id when DuckDB names it."""

    def __init__(self, message: str | UserMessage, pid: int | None = None):
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

    def __init__(self, field: str, message: str | UserMessage):
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
