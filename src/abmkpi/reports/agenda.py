"""The agenda of the cross-department review meeting that a pack prepares.

Marketing, sales and customer success review the pack together. Each
cadence has standing topics per department; KPIs at risk or off track,
low performers without an open PDCA action and overdue PDCA actions add
topics with their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from abmkpi.i18n import N_, translate
from abmkpi.reports import texts
from abmkpi.reports.cadence import Cadence
from abmkpi.reports.pack import ReportPack
from abmkpi.web.pages.formats import Formatter


@dataclass(frozen=True)
class AgendaItem:
    department: str  # all | marketing | sales | customer_success
    topic: str  # in the reader's language


STANDING_TOPICS: dict[Cadence, list[tuple[str, str]]] = {
    Cadence.WEEKLY: [
        ("marketing", N_("Engagement trend and contact progress on target accounts")),
        ("sales", N_("Follow-up of hot accounts and new MQAs")),
        ("customer_success", N_("Signals from customers among the target accounts")),
    ],
    Cadence.MONTHLY: [
        ("marketing", N_("Pipeline created and marketing-influenced pipeline")),
        ("sales", N_("Opportunity rate and open pipeline against targets")),
        ("customer_success", N_("Expansion opportunities on customer accounts")),
    ],
    Cadence.QUARTERLY: [
        ("marketing", N_("Programmes that preceded won deals, and what to reuse")),
        ("sales", N_("Win rate, deal size and sales cycle against targets")),
        ("customer_success", N_("Renewals, upsell, NPS and LTV")),
    ],
}

KPI_TOPIC = N_("%(kpi)s is %(status)s: %(value)s against a target of %(target)s")
LOW_PERFORMER_TOPIC = N_(
    "%(count)s low performers without an open PDCA action: agree on an action for each"
)
OVERDUE_TOPIC = N_("%(count)s PDCA actions past their due date: owners report")
CLOSING_TOPIC = N_("New PDCA actions: owner and due date for each")

ALERT_STATUSES = ("off_track", "at_risk")


def build_agenda(pack: ReportPack, fmt: Formatter) -> list[AgendaItem]:
    """Return the meeting's topics: standing ones, then what the data raises."""
    language = fmt.language
    items = [
        AgendaItem(department, translate(topic, language))
        for department, topic in STANDING_TOPICS[pack.cadence]
    ]
    for line in pack.lines:
        result = line.result
        if result.status.value not in ALERT_STATUSES:
            continue
        topic = translate(KPI_TOPIC, language) % {
            "kpi": texts.label(result, language),
            "status": texts.status(result.status.value, language),
            "value": texts.value(result, fmt),
            "target": texts.target(result, fmt),
        }
        items.append(AgendaItem(line.department, topic))
    items += _section_topics(pack, fmt)
    items.append(AgendaItem("all", translate(CLOSING_TOPIC, language)))
    return items


def _section_topics(pack: ReportPack, fmt: Formatter) -> list[AgendaItem]:
    items = []
    low = pack.section("low_performers")
    without = [row for row in low.rows if not row.get("has_action")] if low else []
    if without:
        count = fmt.number(len(without))
        topic = translate(LOW_PERFORMER_TOPIC, fmt.language) % {"count": count}
        items.append(AgendaItem("all", topic))
    actions = pack.section("pdca_actions")
    overdue = [row for row in actions.rows if row.get("overdue")] if actions else []
    if overdue:
        count = fmt.number(len(overdue))
        topic = translate(OVERDUE_TOPIC, fmt.language) % {"count": count}
        items.append(AgendaItem("all", topic))
    return items
