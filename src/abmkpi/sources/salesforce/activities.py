"""Task and Event: sales activities.

Only completed tasks are activities: IsClosed when the file has it, else a
Status of Completed (完了). A task becomes a sales call, e-mail or meeting
by its TaskSubtype, Type, or the first word of its Subject (Salesforce's
default subjects are "Call", "Email", "Send Letter", …). Any other completed
task (a to-do such as "Send quote") becomes ``other``: it is stored, but it
is no touch with the account, so its default engagement weight is 0 and it
is not one of the sales activity types. Every event is a sales meeting,
except the copies that Salesforce keeps in each invitee's calendar (IsChild).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.sources.fields import Field, ParsedRow
from abmkpi.sources.salesforce.common import (
    FileContext,
    SalesforceObject,
    business_midnight,
    first_value,
    present,
    record_base,
    sf_id,
)
from abmkpi.vocabulary import N_

_COMPLETED_STATUSES = {"completed", "完了", "完了済み"}

# Words of TaskSubtype, Type or a Subject's start (NFKC, case-folded).
_SALES_TYPE_BY_WORD: dict[str, ActivityType] = {
    **dict.fromkeys(("call", "電話"), ActivityType.SALES_CALL),
    **dict.fromkeys(
        ("email", "listemail", "e-mail", "メール"), ActivityType.SALES_EMAIL
    ),
    **dict.fromkeys(
        ("meeting", "ミーティング", "打ち合わせ", "打合せ", "訪問", "面談", "商談"),
        ActivityType.SALES_MEETING,
    ),
}

# Salesforce id prefixes of the records a WhoId or WhatId can point to.
_PERSON_PREFIXES = ("003", "00Q")
_ACCOUNT_PREFIX = "001"


def convert_task(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    if not _is_completed(values):
        ctx.skip(N_("open task"))
        return
    occurred_at = _occurred_at(
        ctx, values.get("CompletedDateTime"), values.get("ActivityDate"), values
    )
    if occurred_at is None:
        ctx.reject(row.line, "ActivityDate", None, _NO_TIME)
        return
    record = {
        **_activity_base(values),
        "occurred_at": occurred_at,
        "type": task_type(values).value,
        "raw_type": first_value(values, "TaskSubtype", "Type") or "Task",
    }
    ctx.add("activities", record, row.line)


def convert_activity(row: ParsedRow, ctx: FileContext) -> None:
    """Convert a row of a tasks-and-events report by its Task (ToDo) column."""
    if row.values.get("IsTask") is False:
        convert_event(row, ctx)
    else:
        convert_task(row, ctx)


def convert_event(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    if values.get("IsChild"):
        ctx.skip(N_("invitee copy of an event"))
        return
    start = first_value(values, "StartDateTime", "ActivityDateTime")
    if values.get("IsAllDayEvent"):
        start = None
    occurred_at = _occurred_at(ctx, start, values.get("ActivityDate"), values)
    if occurred_at is None:
        ctx.reject(row.line, "StartDateTime", None, _NO_TIME)
        return
    record = {
        **_activity_base(values),
        "occurred_at": occurred_at,
        "type": ActivityType.SALES_MEETING.value,
        "raw_type": first_value(values, "Type", "EventSubtype") or "Event",
    }
    ctx.add("activities", record, row.line)


_NO_TIME = N_("no completion time, activity date or CreatedDate")


def task_type(values: dict[str, Any]) -> ActivityType:
    """Return the sales activity type of a completed task."""
    for name in ("TaskSubtype", "Type"):
        found = _SALES_TYPE_BY_WORD.get(_normalize(values.get(name)))
        if found is not None:
            return found
    subject = _normalize(values.get("Subject"))
    for word, activity_type in _SALES_TYPE_BY_WORD.items():
        if subject.startswith(word):
            return activity_type
    return ActivityType.OTHER


def _is_completed(values: dict[str, Any]) -> bool:
    if values.get("IsClosed") is not None:
        return bool(values["IsClosed"])
    return _normalize(values.get("Status")) in _COMPLETED_STATUSES


def _normalize(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def _occurred_at(
    ctx: FileContext, instant: datetime | None, day: Any, values: dict[str, Any]
) -> datetime | None:
    # ActivityDate is a date; it counts from midnight of the business day.
    if instant is not None:
        return instant
    if day is not None:
        return business_midnight(day, ctx.settings)
    created: datetime | None = values.get("CreatedDate")
    return created


def _activity_base(values: dict[str, Any]) -> dict[str, Any]:
    who_id = values.get("WhoId")
    person = who_id if who_id and who_id.startswith(_PERSON_PREFIXES) else None
    what_id = values.get("WhatId")
    account = values.get("AccountId")
    if account is None and what_id and what_id.startswith(_ACCOUNT_PREFIX):
        account = what_id
    return {
        **record_base(values),
        "person_id": sf_id(person),
        "source_account_id": sf_id(account),
        **present(values, {"asset": "Subject"}),
    }


_ACTIVITY_FIELDS = (
    Field.of("Id", kind="id", required=True),
    Field.of("WhoId", kind="id"),
    Field.of("WhatId", kind="id"),
    Field.of("AccountId", kind="id"),
    Field.of("Subject"),
    Field.of("Type"),
    Field.of("ActivityDate", kind="date"),
    Field.of("CreatedDate", kind="datetime"),
)

TASK = SalesforceObject(
    name="Task",
    table="activities",
    id_prefix="00T",
    fields=(
        *_ACTIVITY_FIELDS,
        Field.of("TaskSubtype"),
        Field.of("Status"),
        Field.of("IsClosed", kind="bool"),
        Field.of("CompletedDateTime", kind="datetime"),
    ),
    convert=convert_task,
    required_any=(("IsClosed", "Status"),),
)

EVENT = SalesforceObject(
    name="Event",
    table="activities",
    id_prefix="00U",
    fields=(
        *_ACTIVITY_FIELDS,
        Field.of("EventSubtype"),
        Field.of("StartDateTime", kind="datetime"),
        Field.of("ActivityDateTime", kind="datetime"),
        Field.of("IsAllDayEvent", kind="bool"),
        Field.of("IsChild", kind="bool"),
    ),
    convert=convert_event,
)

# A report of the "Tasks and Events" type: one file with both, distinguished by
# its Task column (ToDo in Japanese).
ACTIVITY = SalesforceObject(
    name="Task and Event",
    table="activities",
    fields=(
        *TASK.fields,
        *(field for field in EVENT.fields if field not in TASK.fields),
        Field.of("IsTask", kind="bool"),
    ),
    convert=convert_activity,
)
