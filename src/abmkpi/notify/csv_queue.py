"""The CSV queue channel: one Salesforce Task row per notification.

The file is meant for Data Loader or the Data Import Wizard: WhatId is the
account's id in its source (the Salesforce id for Salesforce accounts),
OwnerId its owner, ActivityDate the due date. Salesforce accepts only a
User id in OwnerId, so an owner that is not one (a name, an e-mail address)
leaves OwnerId empty and goes into the Description instead. Cells that a
spreadsheet would run as a formula are quoted (see :mod:`abmkpi.spreadsheet`).

A row is appended in place, so a symlink and the file's permissions stay
as they are, and a failed write is cut back to the previous size, so no half
row is left. The path comes from ``notify.csv_queue``: relative to the
workspace, or absolute as written.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import threading
from pathlib import Path

from abmkpi.errors import DeliveryError
from abmkpi.notify.message import Message
from abmkpi.spreadsheet import safe_cell

logger = logging.getLogger(__name__)

TASK_COLUMNS = [
    "WhatId",
    "OwnerId",
    "Subject",
    "Description",
    "ActivityDate",
    "Status",
    "Priority",
]
TASK_STATUS = "Not Started"
# Salesforce's Subject field is at most 255 characters long.
MAX_SUBJECT_CHARS = 255

# A Salesforce User id: key prefix 005, 15 or 18 characters.
_USER_ID = re.compile(r"^005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")

_append_lock = threading.Lock()


def salesforce_user_id(owner: str | None) -> str | None:
    """Return ``owner`` when it is a Salesforce User id, else None."""
    value = (owner or "").strip()
    return value if _USER_ID.match(value) else None


def task_row(message: Message) -> dict[str, str]:
    """Return the message as a Task row, each cell safe for spreadsheets."""
    owner_id = salesforce_user_id(message.owner_id)
    fields = [f"{label}: {value}" for label, value in message.fields]
    owner = (message.owner_id or "").strip()
    if owner and not owner_id and not any(owner in line for line in fields):
        fields.append(f"Owner: {owner}")
    description = "\n".join(
        [*message.lines, *fields] + ([message.link] if message.link else [])
    )
    row = {
        "WhatId": message.record_id or "",
        "OwnerId": owner_id or "",
        "Subject": message.title[:MAX_SUBJECT_CHARS],
        "Description": description,
        "ActivityDate": message.due_date.isoformat() if message.due_date else "",
        "Status": TASK_STATUS,
        "Priority": message.priority,
    }
    return {name: safe_cell(value) for name, value in row.items()}


def append_task(message: Message, path: Path) -> None:
    """Append the message's Task row to ``path``, writing the header if new.

    The file is appended to in place, so a symlink and its permissions stay
    as they are. A failed write is cut back to the previous size, so no half
    row is left.
    """
    with _append_lock:
        try:
            if path.exists() and not path.is_file():
                raise DeliveryError(
                    f"the CSV queue {path} is not a regular file; set "
                    "notify.csv_queue to a file path"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as file:
                size = file.seek(0, os.SEEK_END)
                data = _row_bytes(message, header=size == 0)
                try:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                except OSError:
                    file.truncate(size)
                    raise
        except OSError as error:
            raise DeliveryError(
                f"cannot write the CSV queue {path}: {error}"
            ) from error
    logger.debug("queued %r as a Task in %s", message.title, path)


def _row_bytes(message: Message, header: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TASK_COLUMNS, lineterminator="\r\n")
    if header:
        # A byte-order mark, so Excel reads Japanese text correctly.
        buffer.write("\ufeff")
        writer.writeheader()
    writer.writerow(task_row(message))
    return buffer.getvalue().encode("utf-8")
