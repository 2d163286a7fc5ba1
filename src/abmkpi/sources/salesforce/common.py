"""Shared parts of the Salesforce object readers: object spec and file context.

Each object module describes its columns as :class:`~abmkpi.sources.fields.Field`
values named by their Salesforce API names, and a ``convert`` function that
turns one parsed row into canonical records through a :class:`FileContext`.
A record carries only the columns whose source field is in the file, so a
file with a few fields never blanks the others of a stored record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from abmkpi.canonical import SourceSystem, canonical_id
from abmkpi.config import Settings
from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport, ImportBatch, Record, StoreLookup
from abmkpi.sources.fields import Field, ParsedRow

if TYPE_CHECKING:
    from abmkpi.sources.salesforce.stages import StageBook

SOURCE = SourceSystem.SALESFORCE.value

# Fields every object may carry: the recycle-bin flag, and the columns a
# Fivetran sync adds (history-mode versions and soft deletes).
COMMON_FIELDS = (
    Field.of("IsDeleted", kind="bool"),
    Field.of("_fivetran_deleted", kind="bool"),
    Field.of("_fivetran_active", kind="bool"),
    Field.of("_fivetran_start", kind="datetime"),
)

Convert = Callable[[ParsedRow, "FileContext"], None]


@dataclass(frozen=True)
class SalesforceObject:
    """One Salesforce object abmkpi imports: its columns and how rows map.

    ``table`` is the canonical table whose records count as the file's rows.
    ``convert_version`` also runs on every history-mode version of a record,
    current or not (an Opportunity version becomes a stage-history row).
    ``required_any`` lists groups of fields of which the file needs at least
    one column each.
    """

    name: str
    table: str
    fields: tuple[Field, ...]
    convert: Convert
    id_prefix: str | None = None
    key_header: str = "Id"
    convert_version: Convert | None = None
    required_any: tuple[tuple[str, ...], ...] = ()

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + COMMON_FIELDS


@dataclass
class RunState:
    """Facts from the files read earlier in an import run, for the later files."""

    stages: StageBook
    # Campaign Type by canonical campaign id, from Campaign files of this run.
    campaign_types: dict[str, str | None] = field(default_factory=dict)
    # Links read so far, by (opportunity id, account or person id), so that a
    # link listed again combines with the first record instead of repeating it.
    account_links: dict[tuple[str | None, str | None], Record] = field(
        default_factory=dict
    )
    people_links: dict[tuple[str | None, str | None], Record] = field(
        default_factory=dict
    )


@dataclass
class FileContext:
    """One file being converted: where its records go, and the run's state."""

    batch: ImportBatch
    report: FileReport
    state: RunState
    settings: Settings
    headers: dict[str, str]
    key_header: str

    def add(
        self,
        table: str,
        values: dict[str, Any],
        line: int,
        lookups: Sequence[StoreLookup] = (),
    ) -> Record:
        key_header = self.headers.get(self.key_header, self.key_header)
        return self.batch.add(
            table, values, self.report.path, line, key_header, lookups
        )

    def skip(self, reason: str) -> None:
        self.report.skipped[reason] += 1

    def reject(self, line: int, field_name: str, value: Any, reason: str) -> None:
        column = self.headers.get(field_name, field_name)
        text = None if value is None else str(value)
        self.report.rejects.append(
            InputProblem(self.report.path, line, column, text, reason)
        )

    def has(self, *field_names: str) -> bool:
        """Return whether the file has a column for any of the fields."""
        return any(name in self.headers for name in field_names)


def sf_id(source_id: str | None) -> str | None:
    """Return the canonical id of a Salesforce record id, keeping None."""
    return None if source_id is None else canonical_id(SOURCE, source_id)


def record_base(values: dict[str, Any]) -> dict[str, Any]:
    """Return the id columns and the deleted flag of a row keyed by ``Id``."""
    base = {
        "id": sf_id(values["Id"]),
        "source_system": SOURCE,
        "source_id": values["Id"],
    }
    if "IsDeleted" in values or "_fivetran_deleted" in values:
        base["is_deleted"] = bool(
            values.get("IsDeleted") or values.get("_fivetran_deleted")
        )
    return base


def present(values: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """Map each canonical column to its API field, for fields the file has."""
    return {column: values[api] for column, api in columns.items() if api in values}


def references(values: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """Like :func:`present`, for lookup fields, which become canonical ids."""
    return {
        column: sf_id(values[api]) for column, api in columns.items() if api in values
    }


def first_value(values: dict[str, Any], *names: str) -> Any:
    """Return the first non-empty value among the fields, in order."""
    for name in names:
        if values.get(name) is not None:
            return values[name]
    return None


def business_midnight(day: date, settings: Settings) -> datetime:
    """Return midnight of a date in the business time zone, as naive UTC."""
    local = datetime.combine(
        day, datetime.min.time(), ZoneInfo(settings.workspace.time_zone)
    )
    return local.astimezone(UTC).replace(tzinfo=None)


def person_name(values: dict[str, Any]) -> str | None:
    """Return ``Name``, else the name composed from first and last name.

    Salesforce composes names in the user's locale order; Japanese names
    (family name in CJK script) read family name first, others given first.
    """
    if values.get("Name"):
        return str(values["Name"])
    first, last = values.get("FirstName"), values.get("LastName")
    parts = [part for part in (first, last) if part]
    if last and _is_cjk(str(last)):
        parts.reverse()
    return " ".join(str(part) for part in parts) or None


def _is_cjk(text: str) -> bool:
    return any(
        "\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in text
    )
