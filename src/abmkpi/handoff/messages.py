"""Notification messages of a handoff and of its SLA breach.

Texts are in the workspace language (``workspace.language``); their
Japanese translations are in the catalog like every label of the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from abmkpi.config import Settings
from abmkpi.handoff.records import Handoff
from abmkpi.i18n import translate
from abmkpi.notify import Message
from abmkpi.periods import business_date

if TYPE_CHECKING:
    from abmkpi.handoff.crossings import Crossing


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


HANDOFF_TITLE = N_("MQA: %(account)s (score now %(score)s)")
BREACH_TITLE = N_("SLA breached: %(account)s (no sales follow-up)")
CROSSED_LINE = N_(
    "Score at crossing: %(score)s (MQA threshold %(threshold)s), at %(crossed_at)s."
)
FOLLOW_UP_LINE = N_("Follow up with a sales activity by %(due)s (SLA %(hours)s h).")
LATE_LINE = N_(
    "Recorded late: the SLA of %(hours)s h from the crossing ran out at %(due)s."
)
BREACH_LINE = N_(
    "No sales activity since the crossing at %(crossed_at)s; it was due by %(due)s."
)
BACKFILL_TITLE = N_("Backfilled handoffs: %(count)s accounts crossed the MQA threshold")
BACKFILL_LINE = N_(
    "These accounts crossed the MQA threshold between %(first)s and %(last)s, more "
    "than %(days)s days before they were detected (an import of history). Each is "
    "recorded as backfilled: no notice was sent per account and no SLA applies."
)
BACKFILL_LIST_LINE = N_("List them: abmkpi handoff list --status backfilled")
BACKFILL_ACCOUNTS_FIELD = N_("Highest scores now")
BACKFILL_MORE = N_("and %(count)s more")
ACCOUNT_FIELD = N_("Account")
SCORE_FIELD = N_("Score now")
OWNER_FIELD = N_("Owner")
TOP_ACTIVITIES_FIELD = N_("Top activities")
PEOPLE_FIELD = N_("Engaged people")
HANDOFF_FIELD = N_("Handoff")


def _local(instant: datetime, settings: Settings) -> str:
    zone = ZoneInfo(settings.workspace.time_zone)
    local = instant.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + settings.workspace.time_zone


def _activity_line(activity: dict[str, Any], people: dict[str, str]) -> str:
    who = people.get(activity.get("person_id") or "", "")
    what = activity["type"] + (f" {activity['asset']}" if activity.get("asset") else "")
    text = f"{activity['contribution']:.1f} {what}"
    return text + (f" ({who})" if who else "")


def _person_line(person: dict[str, Any]) -> str:
    name = person.get("name") or person["person_id"]
    title = f", {person['title']}" if person.get("title") else ""
    return f"{name}{title} [{person.get('persona') or 'unknown'}]"


def handoff_message(
    handoff: Handoff, settings: Settings, link: str | None = None
) -> Message:
    """Return the message that hands an MQA account to sales."""
    language = settings.workspace.language
    evidence = handoff.evidence
    account = evidence.get("account") or {}
    name = handoff.account_name or account.get("name") or handoff.account_id
    score = f"{handoff.score:.1f}"
    people = evidence.get("engaged_people") or []
    names = {p["person_id"]: _person_line(p) for p in people}
    fields = [
        (translate(ACCOUNT_FIELD, language), f"{name} ({handoff.account_id})"),
        (translate(SCORE_FIELD, language), score),
        (translate(OWNER_FIELD, language), handoff.owner_id or "-"),
        (
            translate(TOP_ACTIVITIES_FIELD, language),
            "\n".join(
                _activity_line(a, names) for a in evidence.get("top_activities") or []
            )
            or "-",
        ),
        (
            translate(PEOPLE_FIELD, language),
            "\n".join(_person_line(p) for p in people) or "-",
        ),
    ]
    lines = [
        translate(CROSSED_LINE, language)
        % {
            "score": f"{handoff.evidence.get('score_at_crossing', handoff.score):.1f}",
            "threshold": f"{handoff.threshold:g}",
            "crossed_at": _local(handoff.crossed_at, settings),
        },
        translate(
            LATE_LINE if evidence.get("detected_late") else FOLLOW_UP_LINE, language
        )
        % {
            "due": _local(handoff.sla_due_at, settings),
            "hours": f"{settings.handoff.sla_hours:g}",
        },
    ]
    return Message(
        title=translate(HANDOFF_TITLE, language) % {"account": name, "score": score},
        lines=lines,
        fields=fields,
        link=link,
        record_id=account.get("source_id") or handoff.account_id,
        owner_id=handoff.owner_id,
        owner_email=(evidence.get("owner") or {}).get("email"),
        due_date=business_date(handoff.sla_due_at, settings.workspace.time_zone),
        priority="High",
    )


def breach_message(
    handoff: Handoff, settings: Settings, link: str | None = None
) -> Message:
    """Return the message that reports a handoff past its SLA without follow-up."""
    language = settings.workspace.language
    base = handoff_message(handoff, settings, link)
    name = handoff.account_name or handoff.account_id
    line = translate(BREACH_LINE, language) % {
        "crossed_at": _local(handoff.crossed_at, settings),
        "due": _local(handoff.sla_due_at, settings),
    }
    return Message(
        title=translate(BREACH_TITLE, language) % {"account": name},
        lines=[line, *base.lines],
        fields=[(translate(HANDOFF_FIELD, language), str(handoff.id)), *base.fields],
        link=link,
        record_id=base.record_id,
        owner_id=base.owner_id,
        owner_email=base.owner_email,
        due_date=base.due_date,
        priority="High",
    )


def handoff_link(settings: Settings, handoff_id: int) -> str | None:
    """Return the dashboard URL of a handoff, when the dashboard URL is set."""
    base = settings.notify.dashboard_url
    return f"{base.rstrip('/')}/handoffs#handoff-{handoff_id}" if base else None


# Accounts a backfill summary names; the rest are counted.
MAX_BACKFILL_ACCOUNTS = 10


def backfill_message(
    crossings: Sequence[Crossing], names: dict[str, str | None], settings: Settings
) -> Message:
    """Return the one message that summarizes the handoffs of a detection run
    recorded as backfilled, naming the accounts with the highest scores."""
    language = settings.workspace.language
    first = min(crossing.crossed_at for crossing in crossings)
    last = max(crossing.crossed_at for crossing in crossings)
    ranked = sorted(crossings, key=lambda c: (-c.score, c.account_id))
    accounts = [
        f"{names.get(c.account_id) or c.account_id} ({c.score:.1f})"
        for c in ranked[:MAX_BACKFILL_ACCOUNTS]
    ]
    if len(ranked) > MAX_BACKFILL_ACCOUNTS:
        more = len(ranked) - MAX_BACKFILL_ACCOUNTS
        accounts.append(translate(BACKFILL_MORE, language) % {"count": more})
    line = translate(BACKFILL_LINE, language) % {
        "first": _local(first, settings),
        "last": _local(last, settings),
        "days": settings.handoff.backfill_days,
    }
    return Message(
        title=translate(BACKFILL_TITLE, language) % {"count": len(crossings)},
        lines=[line, translate(BACKFILL_LIST_LINE, language)],
        fields=[(translate(BACKFILL_ACCOUNTS_FIELD, language), "\n".join(accounts))],
        link=backfill_link(settings),
    )


def backfill_link(settings: Settings) -> str | None:
    """Return the dashboard URL of the backfilled handoffs, when it is set."""
    base = settings.notify.dashboard_url
    return f"{base.rstrip('/')}/handoffs?status=backfilled" if base else None
