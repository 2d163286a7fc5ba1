"""Marketo programs and smart campaigns → campaigns.

A program is what marketers call a campaign (a webinar, a nurture, a content
offer); its channel ("Webinar", "Email Nurture") names its kind. A smart
campaign is the automation inside a program that sends emails and changes
statuses; activities name it in their campaign id, and it points to its
program through ``source_parent_id``.
"""

from __future__ import annotations

from typing import Any

from abmkpi.sources.base import FileReport, ImportBatch
from abmkpi.sources.csvfile import CsvFile
from abmkpi.sources.fields import Field, ParseContext, parse_table
from abmkpi.sources.marketo.activity_types import snake_case
from abmkpi.sources.marketo.ids import (
    SOURCE,
    marketo_id,
    program_record_id,
    program_source_id,
)

PROGRAM_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("name", "name"),
    Field.of("channel", "channel"),
    Field.of("program_type", "type"),
    Field.of("status", "status"),
    Field.of("start_date", "start_date", "startDate", kind="date"),
    Field.of("end_date", "end_date", "endDate", kind="date"),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)

SMART_CAMPAIGN_FIELDS = (
    Field.of("id", "id", kind="id", required=True),
    Field.of("name", "name"),
    Field.of("program_id", "program_id", "programId", kind="id"),
    Field.of("status", "status"),
    Field.of("is_deleted", "_fivetran_deleted", kind="bool"),
)

# Words in a Marketo channel name and the channel they stand for, tried in
# order ("Webinar" before "Web Request", "Paid Social" before "Social").
_CHANNEL_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("webinar", "ウェビナー"), "webinar"),
    (
        ("event", "tradeshow", "trade show", "roadshow", "conference", "seminar"),
        "event",
    ),
    (("展示会", "セミナー", "イベント"), "event"),
    (("email", "e-mail", "nurture", "newsletter", "メール"), "email"),
    (("content", "whitepaper", "コンテンツ"), "content"),
    (("paid", "advert", "ppc", "display", "広告"), "advertising"),
    (("social",), "social"),
    (("web",), "web"),
    (("direct mail",), "direct_mail"),
)

# Marketo program types, for programs whose channel is empty.
_PROGRAM_TYPE_CHANNELS = {
    "eventwithwebinar": "webinar",
    "event": "event",
    "email": "email",
    "engagement": "email",
}


def read_programs(csv_file: CsvFile, context: ParseContext, batch: ImportBatch) -> None:
    """Add one campaigns record per Marketo program."""
    table = parse_table(csv_file, PROGRAM_FIELDS, context)
    key_header = table.header_of("id")
    for row in table.rows:
        values = _program(row.values)
        batch.add("campaigns", values, csv_file.path, row.line, key_header)
    batch.files.append(FileReport.of(table, "marketo programs", "campaigns"))


def read_smart_campaigns(
    csv_file: CsvFile, context: ParseContext, batch: ImportBatch
) -> None:
    """Add one campaigns record per smart campaign, linked to its program."""
    table = parse_table(csv_file, SMART_CAMPAIGN_FIELDS, context)
    key_header = table.header_of("id")
    for row in table.rows:
        values = _smart_campaign(row.values)
        batch.add("campaigns", values, csv_file.path, row.line, key_header)
    batch.files.append(FileReport.of(table, "marketo smart campaigns", "campaigns"))


def _program(values: dict[str, Any]) -> dict[str, Any]:
    program_id = values["id"]
    record: dict[str, Any] = {
        "id": program_record_id(program_id),
        "source_system": SOURCE,
        "source_id": program_source_id(program_id),
    }
    for name in ("name", "status", "start_date", "end_date", "is_deleted"):
        if name in values:
            record[name] = values[name]
    if "channel" in values or "program_type" in values:
        channel = values.get("channel")
        record["channel"] = channel_of(channel, values.get("program_type"))
        record["type"] = snake_case(channel) if channel else record["channel"]
    return record


def _smart_campaign(values: dict[str, Any]) -> dict[str, Any]:
    campaign_id = values["id"]
    record: dict[str, Any] = {
        "id": marketo_id(campaign_id),
        "source_system": SOURCE,
        "source_id": campaign_id,
        "type": "smart_campaign",
    }
    for name in ("name", "status", "is_deleted"):
        if name in values:
            record[name] = values[name]
    if "program_id" in values:
        program_id = values["program_id"]
        record["source_parent_id"] = (
            program_record_id(program_id) if program_id else None
        )
    return record


def channel_of(channel: str | None, program_type: str | None = None) -> str | None:
    """Return the canonical channel of a Marketo program channel name.

    Names without a known word keep their own snake_case name
    ("Operational" → operational).
    """
    text = (channel or "").strip().lower()
    if text:
        for words, canonical in _CHANNEL_WORDS:
            if any(word in text for word in words):
                return canonical
        return snake_case(text)
    return _PROGRAM_TYPE_CHANNELS.get((program_type or "").strip().lower())
