"""Labels, terms, dates and amounts of the CLI's human output in one language.

Tables and summaries print headers through the translation catalog, enum
values through the shared vocabulary, dates as ISO ``YYYY-MM-DD`` and stored
instants (naive UTC) as ``YYYY-MM-DD HH:MM`` in the workspace time zone.
JSON and CSV output keep English ids and ISO-8601 instants, and do not use
this module. Commands name their ``Labels`` object ``t``, as i18n libraries
name their translate function, and the catalog test extracts ``t("...")``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from abmkpi.vocabulary import TIER_LABEL, term_label

# Babel and the KPI modules (NumPy) are imported when a table is printed,
# so 'abmkpi --help' and argument errors start without them.
if TYPE_CHECKING:
    from abmkpi.handoff.run import HandoffRun
    from abmkpi.metrics.results import Unit
    from abmkpi.notify.deliveries import DeliveryRun
    from abmkpi.workspace import Workspace


class Labels:
    """The translator and formatter of one command's human output."""

    def __init__(self, language: str, time_zone: str, currency: str):
        self.language = language
        self.zone_name = time_zone
        self.zone = ZoneInfo(time_zone)
        self.currency = currency

    @classmethod
    def of(cls, workspace: Workspace) -> Labels:
        """Return the labels of the --lang option, else the workspace's language."""
        from abmkpi.cli.common import language

        settings = workspace.settings.workspace
        return cls(language(workspace), settings.time_zone, settings.reporting_currency)

    def __call__(self, message: str, **values: Any) -> str:
        """Return ``message`` translated, with ``%(name)s`` fields filled in."""
        from abmkpi.i18n import translate

        text = translate(message, self.language)
        return text % values if values else text

    def zoned(self, header: str) -> str:
        """Return a column header that names the time zone: '作成日時 (Asia/Tokyo)'."""
        return f"{self(header)} ({self.zone_name})"

    def term(self, group: str, value: Any) -> str:
        """Return the label of a vocabulary value; unknown values as they are."""
        if value is None or value == "":
            return ""
        text = str(value)
        if group == "segment" and text.startswith("tier:"):
            return self(TIER_LABEL, tier=text[5:])
        return self(term_label(group, text))

    def kpi(self, key: str) -> str:
        """Return the label of a KPI id or ``id:variant``; unknown ids as they are."""
        from abmkpi.metrics.registry import DEFINITIONS, variant_label

        kpi_id, _, variant = key.partition(":")
        definition = DEFINITIONS.get(kpi_id)
        if definition is None:
            return key
        label = self(definition.label)
        if variant:
            label = f"{label}: {variant_label(variant, self.language)}"
        return label

    def instant(self, value: datetime | str | None) -> str:
        """Return an instant in the workspace zone: a stored one (naive UTC),
        an aware one, or ISO-8601 text as the JSON documents carry it."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return f"{value.astimezone(self.zone):%Y-%m-%d %H:%M}"

    def date(self, value: date | None) -> str:
        return "" if value is None else value.isoformat()

    def money(self, value: float | None, currency: str | None = None) -> str:
        from abmkpi.formatting import format_value
        from abmkpi.metrics.results import Unit

        return format_value(
            value, Unit.CURRENCY, currency or self.currency, self.language
        )

    def value(self, value: float | None, unit: Unit | str) -> str:
        from abmkpi.formatting import format_value
        from abmkpi.metrics.results import Unit

        return format_value(value, Unit(unit), self.currency, self.language)

    def yes(self, flag: bool) -> str:
        return self("yes") if flag else self("no")

    def handoff_run(self, run: HandoffRun) -> str:
        """Return what a handoff pass did, as ``HandoffRun.describe`` does
        in English."""
        text = self(
            "%(created)s new handoffs, %(followed_up)s followed up by sales, "
            "%(breached)s newly breached",
            created=format(len(run.created), ","),
            followed_up=format(run.followed_up, ","),
            breached=format(len(run.breached), ","),
        )
        if run.backfilled:
            text += " " + self(
                "(%(count)s of the new handoffs backfilled)",
                count=format(len(run.backfilled), ","),
            )
        if run.deliveries is not None:
            text += "; " + self.deliveries(run.deliveries)
        return text

    def deliveries(self, run: DeliveryRun) -> str:
        """Return what a sending pass did, as ``DeliveryRun.describe`` does
        in English."""
        return self(
            "%(delivered)s notifications delivered, %(retrying)s to retry, "
            "%(failed)s failed for good",
            delivered=format(run.delivered, ","),
            retrying=format(run.retrying, ","),
            failed=format(run.failed, ","),
        )
