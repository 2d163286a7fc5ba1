"""Marketo activity rows → activities, lead merges and lead deletions.

Each row's type name (from the run's type list, Marketo's standard list, or
a Fivetran table's name) selects a :class:`TypeRule`. Touches become
activities. Merge Leads rows become ``merges`` rows (loser → winner), and
Delete Lead rows mark the lead deleted. Data changes are skipped with a
reason. Activities of leads that are not in the run are kept, because the
lead may arrive in another import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport, ImportBatch, skipped_file
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import ParseContext
from abmkpi.sources.marketo.activity_rows import (
    ActivityRow,
    AttributeValueError,
    merge_loser_ids,
    parse_activities,
)
from abmkpi.sources.marketo.activity_types import (
    STANDARD_ACTIVITY_TYPES,
    ActivityTypeNames,
    Special,
    TypeRule,
    is_attended,
    rule_for,
    standard_name_of_table,
    unknown_type_name,
)
from abmkpi.sources.marketo.files import FileKind, FileShape
from abmkpi.sources.marketo.ids import SOURCE, marketo_id, program_record_id
from abmkpi.vocabulary import N_

logger = logging.getLogger(__name__)

_CLICK_TYPES = {"click email", "click link", "click sales email"}


def read_activity_file(
    csv_file: CsvFile,
    shape: FileShape,
    context: ParseContext,
    names: ActivityTypeNames,
    batch: ImportBatch,
) -> None:
    """Add the records of one activity export or Fivetran activity table."""
    table_type = _table_type_name(shape)
    object_name = "marketo activities" + (f": {table_type}" if table_type else "")
    if table_type is not None:
        reason = rule_for(table_type).skip_reason
        if reason is not None:
            batch.files.append(skipped_file(csv_file, object_name, reason))
            return
    table, rows = parse_activities(csv_file, context)
    report = FileReport.of(table, object_name, "activities")
    report.extra_row_tables = ("merges", "people")
    reader = _ActivityReader(csv_file.path, report, batch, table.header_of)
    for row in rows:
        name = table_type or _name_of(row, shape, names)
        reader.check_table_type(row, table_type)
        reader.add(row, name)
    batch.files.append(report)


def _table_type_name(shape: FileShape) -> str | None:
    """Return the type of a Fivetran activity table named after a standard type."""
    if shape.kind is not FileKind.ACTIVITY_TABLE or shape.table_slug is None:
        return None
    return standard_name_of_table(shape.table_slug)


def _name_of(row: ActivityRow, shape: FileShape, names: ActivityTypeNames) -> str:
    type_id: int = row.values["type_id"]
    name = names.name_of(type_id)
    if name is not None:
        return name
    if shape.table_slug:
        # A custom type's Fivetran table is named after it: webinar_attended.
        return shape.table_slug.replace("_", " ").title()
    return unknown_type_name(type_id)


@dataclass
class _ActivityReader:
    path: Path
    report: FileReport
    batch: ImportBatch
    header_of: Callable[[str], str | None]
    noted_type_ids: frozenset[int] = frozenset()

    def add(self, row: ActivityRow, name: str) -> None:
        rule = rule_for(name)
        if rule.skip_reason is not None:
            self.report.skipped[rule.skip_reason] += 1
        elif rule.special is Special.DELETE_LEAD:
            self._add_deletion(row)
        elif rule.special is Special.MERGE_LEADS:
            self._add_merges(row)
        elif rule.special is Special.PROGRAM_STATUS:
            self._add_program_status(row, name)
        else:
            self._add_activity(row, name, rule)

    def check_table_type(self, row: ActivityRow, table_type: str | None) -> None:
        """Note once per type id when a table's name and its type id disagree."""
        type_id = row.values.get("type_id")
        if table_type is None or type_id is None or type_id in self.noted_type_ids:
            return
        standard = STANDARD_ACTIVITY_TYPES.get(type_id)
        if standard is not None and standard.lower() != table_type.lower():
            self.report.notes.append(
                f"activity_type_id {type_id} is {standard!r} in Marketo's standard "
                f"list; the table name decides the type ({table_type!r})"
            )
        self.noted_type_ids = self.noted_type_ids | {type_id}

    def _add_activity(self, row: ActivityRow, name: str, rule: TypeRule) -> None:
        assert rule.activity_type is not None
        values = _activity_values(row, name, rule.activity_type, rule.channel)
        values["asset"] = _asset(row, name)
        campaign_id = row.values.get("campaign_id")
        values["campaign_id"] = marketo_id(campaign_id) if campaign_id else None
        if name.lower() == "interesting moment":
            values["channel"] = _moment_channel(row)
        self._emit("activities", values, row, self.header_of("activity_id"))

    def _add_program_status(self, row: ActivityRow, name: str) -> None:
        status = row.attribute("new_status")
        if not is_attended(status):
            self.report.skipped[N_("program status change other than attendance")] += 1
            return
        values = _activity_values(row, name, ActivityType.EVENT_ATTENDED, "event")
        values["asset"] = row.values.get("primary_value")
        # The program is the primary attribute, and it is the campaign. The
        # smart campaign that set the status is only the flow that ran.
        program_id = row.values.get("primary_value_id")
        campaign_id = row.values.get("campaign_id")
        if program_id:
            values["campaign_id"] = program_record_id(program_id)
        else:
            values["campaign_id"] = marketo_id(campaign_id) if campaign_id else None
        self._emit("activities", values, row, self.header_of("activity_id"))

    def _add_deletion(self, row: ActivityRow) -> None:
        if row.values.get("is_deleted"):
            self.report.skipped[N_("deletion activity removed in the source")] += 1
            return
        lead_id = row.values["lead_id"]
        values = {
            "id": marketo_id(lead_id),
            "source_system": SOURCE,
            "source_id": lead_id,
            "kind": "lead",
            "is_deleted": True,
        }
        self._emit("people", values, row, self.header_of("lead_id"))

    def _add_merges(self, row: ActivityRow) -> None:
        if row.values.get("is_deleted"):
            self.report.skipped[N_("merge activity removed in the source")] += 1
            return
        try:
            losers = merge_loser_ids(row)
        except AttributeValueError as error:
            self.report.rejects.append(
                InputProblem(self.path, row.line, error.column, error.value, str(error))
            )
            return
        if not losers:
            self.report.skipped[N_("merge activity without merge ids")] += 1
            return
        winner = marketo_id(row.values["lead_id"])
        for loser in losers:
            values = {
                "entity": "person",
                "loser_id": marketo_id(loser),
                "winner_id": winner,
                "source_system": SOURCE,
                "merged_at": row.values["occurred_at"],
            }
            # The key is the loser id, so a problem names the merge ids column.
            self._emit("merges", values, row, row.attributes_header or "merge_ids")

    def _emit(
        self,
        table: str,
        values: dict[str, Any],
        row: ActivityRow,
        key_header: str | None,
    ) -> None:
        self.batch.add(table, values, self.path, row.line, key_header)


def _activity_values(
    row: ActivityRow, name: str, activity_type: ActivityType, channel: str | None
) -> dict[str, Any]:
    activity_id = row.values["activity_id"]
    return {
        "id": marketo_id(activity_id),
        "source_system": SOURCE,
        "source_id": activity_id,
        "occurred_at": row.values["occurred_at"],
        "type": activity_type.value,
        "channel": channel,
        "raw_type": name,
        "person_id": marketo_id(row.values["lead_id"]),
        "is_deleted": bool(row.values.get("is_deleted")),
    }


def _asset(row: ActivityRow, name: str) -> str | None:
    """Return what the activity was about: page, form, email, or clicked link."""
    lowered = name.lower()
    if lowered in _CLICK_TYPES and row.attribute("link"):
        return str(row.attribute("link"))
    if lowered == "interesting moment" and row.attribute("description"):
        return str(row.attribute("description"))
    primary = row.values.get("primary_value")
    if primary:
        return str(primary)
    fallback = row.attribute("webpage_url") or row.attribute("link")
    return None if fallback is None else str(fallback)


def _moment_channel(row: ActivityRow) -> str | None:
    """Return the channel of an interesting moment from its type.

    Marketo's Interesting Moment flow step sets a type of Web, Email or
    Milestone; a milestone has no channel.
    """
    kind = row.attribute("type") or row.values.get("primary_value") or ""
    lowered = str(kind).strip().lower()
    return lowered if lowered in {"web", "email"} else None
