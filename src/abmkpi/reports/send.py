"""Sending written packs through the notification channels (webhook, e-mail).

The notification package queues one delivery per channel with
``enqueue(store, subject_kind, subject_id, message)`` and retries failed
sends. Workspaces without that package write packs without sending them.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from abmkpi.i18n import translate
from abmkpi.reports.cadence import TITLES
from abmkpi.reports.pack import ReportPack
from abmkpi.reports.runs import ReportFile
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

SUBJECT_KIND = "report"


def pack_message(pack: ReportPack, files: list[ReportFile]) -> dict[str, Any]:
    """Return the message of a pack: a title, a short text and its files."""
    language = files[0].language if files else "en"
    title = f"{translate(TITLES[pack.cadence], language)}: {pack.period.id}"
    lines = [title, *(f"{item.format.upper()}: {item.path}" for item in files)]
    return {
        "title": title,
        "text": "\n".join(lines),
        "attachments": [str(item.path) for item in files],
    }


def send_pack(store: Store, pack: ReportPack, files: list[ReportFile]) -> bool:
    """Queue the pack on every notification channel; return whether it was.

    The subject id names the pack and its first run, so a pack written
    twice is sent twice, and one run is never queued twice.
    """
    try:
        notify = importlib.import_module("abmkpi.notify")
    except ModuleNotFoundError:
        logger.warning(
            "report %s %s was not sent: this abmkpi has no notification package",
            pack.cadence,
            pack.period.id,
        )
        return False
    if not files:
        return False
    subject_id = f"{pack.cadence}:{pack.period.id}:run{files[0].run_id}"
    notify.enqueue(store, SUBJECT_KIND, subject_id, pack_message(pack, files))
    logger.info("queued report %s for sending", subject_id)
    return True
