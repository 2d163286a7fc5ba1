"""Sending written packs through the notification channels (webhook, e-mail).

A pack becomes one :class:`~abmkpi.notify.Message` per language: its title,
the headline KPIs with their status, a link to the dashboard and the pack's
files, which e-mail attaches. :func:`send_pack` queues it as a ``report``
subject, which goes to the webhook and e-mail but never to the CSV queue of
Salesforce Tasks. The caller sends what is queued with
:func:`abmkpi.notify.deliver_due`, or leaves it to the server's notifier.
"""

from __future__ import annotations

import logging
from datetime import datetime

from abmkpi.config import Settings
from abmkpi.i18n import translate
from abmkpi.notify import Message, enqueue
from abmkpi.periods import Calendar
from abmkpi.reports import texts
from abmkpi.reports.cadence import TITLES
from abmkpi.reports.html import formatter
from abmkpi.reports.pack import ReportPack
from abmkpi.reports.runs import ReportFile
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

SUBJECT_KIND = "report"


def pack_title(pack: ReportPack, language: str) -> str:
    """Return the pack's title with its period: 'ABM四半期レポート: FY2024-Q4'."""
    return f"{translate(TITLES[pack.cadence], language)}: {pack.period.id}"


def pack_message(
    pack: ReportPack,
    calendar: Calendar,
    files: list[ReportFile],
    settings: Settings,
) -> Message:
    """Return the message of a pack: title, headline KPIs, link and files."""
    language = files[0].language if files else settings.workspace.language
    fmt = formatter(pack, calendar, language)
    lines = [
        f"{texts.label(line.result, language)}: {texts.value(line.result, fmt)} "
        f"({texts.status(line.result.status.value, language)})"
        for line in pack.lines
    ]
    return Message(
        title=pack_title(pack, language),
        lines=lines,
        link=settings.notify.dashboard_url,
        attachments=[str(item.path) for item in files],
    )


def send_pack(
    store: Store,
    settings: Settings,
    calendar: Calendar,
    pack: ReportPack,
    files: list[ReportFile],
    now: datetime | None = None,
) -> list[int]:
    """Queue the pack on the webhook and e-mail; return the delivery ids.

    The subject id names the pack and its first run, so a pack written
    twice is sent twice, and one run is never queued twice. With neither
    webhook nor e-mail configured, nothing is queued.
    """
    if not files:
        return []
    subject_id = f"{pack.cadence}:{pack.period.id}:run{files[0].run_id}"
    message = pack_message(pack, calendar, files, settings)
    ids = enqueue(store, SUBJECT_KIND, subject_id, message, settings=settings, now=now)
    if ids:
        logger.info("queued report %s on %d channels", subject_id, len(ids))
    else:
        logger.warning(
            "report %s was not queued: no webhook or e-mail channel is set in [notify]",
            subject_id,
        )
    return ids
