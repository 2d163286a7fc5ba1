"""Report sections: tables of accounts and actions that a pack lists after its KPIs.

A section is plain data (columns and rows of raw values), so the HTML, XLSX
and PDF writers render every section the same way. Providers build them:
each takes the :class:`SectionContext` of a pack and returns a section, or
None when it has nothing to say for that cadence. Add a provider to
:func:`default_providers` to add a section to every pack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from abmkpi.config import Settings
from abmkpi.i18n import N_
from abmkpi.pdca.messages import in_languages, rule_label
from abmkpi.periods import Calendar, Period, business_date
from abmkpi.reports.cadence import Cadence
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

HOT_ACCOUNTS = 10
# Statuses of a PDCA action that is finished; any other status is open.
CLOSED_ACTION_STATUSES = ("done", "dropped", "cancelled", "canceled")


class ColumnKind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    SCORE = "score"
    PERCENT = "percent"
    CURRENCY = "currency"  # the reporting currency
    DATE = "date"
    DAYS = "days"
    MULTIPLE = "multiple"  # a ratio of two rates, such as a lift
    PROBABILITY = "probability"  # a p-value
    LOCALIZED = "localized"  # text in every language: {"ja": …, "en": …}


@dataclass(frozen=True)
class Column:
    """A section column: row key, label (a message id) and kind of value.

    ``term`` names a vocabulary group (journey, status, persona) whose label
    replaces a text value.
    """

    key: str
    label: str
    kind: ColumnKind = ColumnKind.TEXT
    term: str | None = None


@dataclass
class ReportSection:
    """One titled table of a pack; ``title`` and ``description`` are message ids."""

    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    description: str = ""
    chart_column: str | None = None  # a numeric column drawn as bars


@dataclass
class SectionContext:
    """The inputs of a section provider: the store, the period and the accounts."""

    store: Store
    settings: Settings
    calendar: Calendar
    cadence: Cadence
    period: Period
    as_of: datetime
    accounts: list[dict[str, Any]] = field(default_factory=list)


SectionProvider = Callable[[SectionContext], ReportSection | None]


def hot_accounts(context: SectionContext) -> ReportSection:
    """List the target accounts with the highest engagement score."""
    targets = [row for row in context.accounts if row.get("seg") == "target"]
    targets.sort(key=lambda row: row.get("score") or 0, reverse=True)
    return ReportSection(
        id="hot_accounts",
        title=N_("Hot accounts"),
        description=N_("Target accounts with the highest engagement score."),
        columns=[
            Column("name", N_("Account")),
            Column("tier", N_("Tier"), ColumnKind.COUNT),
            Column("journey_stage", N_("Journey stage"), term="journey"),
            Column("score", N_("Engagement score"), ColumnKind.SCORE),
            Column("engaged_people", N_("Engaged people"), ColumnKind.COUNT),
            Column(
                "open_pipeline",
                N_("Open pipeline (new business)"),
                ColumnKind.CURRENCY,
            ),
            Column("owner", N_("Owner")),
        ],
        rows=targets[:HOT_ACCOUNTS],
        chart_column="score",
    )


def open_actions(context: SectionContext) -> ReportSection:
    """List the PDCA actions that are not done, oldest due date first."""
    closed = ", ".join("?" for _ in CLOSED_ACTION_STATUSES)
    rows = context.store.fetch_dicts(
        "SELECT p.id, coalesce(a.name, p.account_id) AS name, p.title, p.rule, "
        "p.owner, p.due_date, p.status, p.created_at "
        "FROM pdca_actions p LEFT JOIN accounts a ON a.id = p.account_id "
        f"WHERE p.done_at IS NULL AND lower(p.status) NOT IN ({closed}) "
        "ORDER BY p.due_date NULLS LAST, p.id",
        list(CLOSED_ACTION_STATUSES),
    )
    # Dates are business dates: an action logged at 23:30 UTC on 4 May was
    # logged on 5 May in Tokyo.
    zone = context.settings.workspace.time_zone
    today = business_date(context.as_of, zone)
    for row in rows:
        due = row["due_date"]
        row["overdue"] = isinstance(due, date) and due < today
        logged = row["created_at"]
        row["created_at"] = business_date(logged, zone) if logged else None
        row["rule"] = in_languages(rule_label(row["rule"]), {}) if row["rule"] else None
    return ReportSection(
        id="pdca_actions",
        title=N_("Open PDCA actions"),
        description=N_("Actions logged on accounts that are not done yet."),
        columns=[
            Column("name", N_("Account")),
            Column("title", N_("Action")),
            Column("rule", N_("Rule"), ColumnKind.LOCALIZED),
            Column("owner", N_("Owner")),
            Column("due_date", N_("Due date"), ColumnKind.DATE),
            Column("status", N_("Status"), term="action_status"),
            Column("created_at", N_("Logged"), ColumnKind.DATE),
        ],
        rows=rows,
    )


def default_providers() -> list[SectionProvider]:
    """Return the providers of every pack, in the order a pack shows them."""
    # Imported here: the PDCA sections build on this module's types.
    from abmkpi.reports.pdca_sections import low_performer_section, pattern_section

    return [hot_accounts, low_performer_section, pattern_section, open_actions]


def collect_sections(
    context: SectionContext, providers: list[SectionProvider] | None = None
) -> list[ReportSection]:
    """Run every provider; a provider that returns None adds no section."""
    sections = []
    for provider in default_providers() if providers is None else providers:
        section = provider(context)
        if section is not None:
            sections.append(section)
    return sections
