"""The CSV queue channel: one Salesforce Task row per notification.

The file is meant for Data Loader or the Data Import Wizard: WhatId is the
account's id in its source (the Salesforce id for Salesforce accounts),
OwnerId its owner, ActivityDate the due date. Cells that a spreadsheet would
run as a formula are quoted (see :mod:`abmkpi.spreadsheet`).

Appending is atomic: the new file (old rows plus the new one) is written
beside the old one and moved over it, so neither a reader nor a killed process
leaves or reads half a row.
"""

from __future__ import annotations

import csv
import io
import logging
import os
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

_append_lock = threading.Lock()


def task_row(message: Message) -> dict[str, str]:
    """Return the message as a Task row, each cell safe for spreadsheets."""
    description = "\n".join(
        [*message.lines, *(f"{label}: {value}" for label, value in message.fields)]
        + ([message.link] if message.link else [])
    )
    row = {
        "WhatId": message.record_id or "",
        "OwnerId": message.owner_id or "",
        "Subject": message.title[:MAX_SUBJECT_CHARS],
        "Description": description,
        "ActivityDate": message.due_date.isoformat() if message.due_date else "",
        "Status": TASK_STATUS,
        "Priority": message.priority,
    }
    return {name: safe_cell(value) for name, value in row.items()}


def append_task(message: Message, path: Path) -> None:
    """Append the message's Task row to ``path``, writing the header if new.

    The file is appended to in place, so a symlink, its permissions and a
    reader such as Data Loader see the same file; a failed write is cut back
    to the previous size, so no half row is left.
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
