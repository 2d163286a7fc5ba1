"""What every KPI expression needs: tables, period bounds, segments, settings.

KPI expressions are Ibis expressions over the canonical tables. The tables
come from a :class:`TableSource`: the workspace's DuckDB connection when
computing, or unbound tables with the canonical schema when compiling the
same expressions for another engine (Spark SQL) without running them.

Every fact is tagged with a segment key, ``seg`` ('target', 'non_target' or
'unattributed' for records without a live account) and ``tier``, so one
grouped query serves all segments: all, target, non-target and each tier.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir

from abmkpi.config import MAX_TIER, Settings
from abmkpi.errors import MessageValueError, UserMessage
from abmkpi.periods import Calendar, Period, business_date
from abmkpi.store.schema import CANONICAL_TABLES

_IBIS_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "int64",
    "INTEGER": "int32",
    "DOUBLE": "float64",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "VARCHAR[]": "array<string>",
}


class TableSource(Protocol):
    def table(self, name: str) -> ir.Table: ...


class BackendTables:
    """Tables of a live Ibis backend (the workspace's DuckDB connection)."""

    def __init__(self, backend: Any):
        self.backend = backend

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)


class UnboundTables:
    """Tables with the canonical schema and no data, for compiling only."""

    def table(self, name: str) -> ir.Table:
        for table in CANONICAL_TABLES:
            if table.name == name:
                schema = {
                    column: _IBIS_TYPES[kind.split()[0]]
                    for column, kind in table.columns.items()
                }
                return ibis.table(schema, name=name)
        raise KeyError(f"no canonical table {name}")


@dataclass(frozen=True)
class Segment:
    """A slice of accounts a KPI is reported for."""

    id: str

    @property
    def account_id(self) -> str | None:
        return self.id.split(":", 1)[1] if self.id.startswith("account:") else None

    @property
    def tier(self) -> int | None:
        return int(self.id.split(":", 1)[1]) if self.id.startswith("tier:") else None

    def includes(self, seg: str | None, tier: int | None) -> bool:
        """Whether facts tagged (seg, tier) belong to this segment."""
        if self.id in ("all",) or self.account_id is not None:
            return True
        if self.id == "target":
            return seg == "target"
        if self.id == "non_target":
            return seg == "non_target"
        if self.tier is not None:
            return seg == "target" and tier == self.tier
        return False

    def select(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return the rows tagged with this segment, in their order.

        Rows carry few distinct (seg, tier) tags, so each tag is decided once.
        """
        if self.id == "all" or self.account_id is not None:
            return rows
        decided: dict[tuple[Any, Any], bool] = {}
        selected = []
        for row in rows:
            tag = (row["seg"], row["tier"])
            keep = decided.get(tag)
            if keep is None:
                keep = decided[tag] = self.includes(*tag)
            if keep:
                selected.append(row)
        return selected


def parse_segment(text: str) -> Segment:
    """Parse all, target, non-target, tier:N or account:ID."""
    normalized = text.strip().lower().replace("-", "_")
    if normalized in ("all", "target", "non_target"):
        return Segment(normalized)
    if normalized.startswith("tier:"):
        return Segment(f"tier:{_tier_number(text, normalized[5:])}")
    if text.strip().startswith("account:") and len(text.strip()) > 8:
        return Segment(text.strip())
    raise MessageValueError(
        UserMessage(
            "invalid segment %(text)r; use all, target, non-target, tier:N or "
            "account:ID",
            text=text,
        )
    )


def _tier_number(text: str, number: str) -> int:
    """Return the tier of a 'tier:N' segment; tiers run from 1 to MAX_TIER."""
    tier = int(number) if number.strip().lstrip("+-").isdigit() else None
    if tier is None or not 1 <= tier <= MAX_TIER:
        raise MessageValueError(
            UserMessage(
                "invalid segment %(text)r: tiers are whole numbers from 1 to "
                "%(max)s, such as tier:1",
                text=text,
                max=MAX_TIER,
            )
        )
    return tier


@dataclass
class KpiContext:
    """The period, instant and tables a set of KPI expressions is built for."""

    tables: TableSource
    settings: Settings
    period: Period
    as_of: datetime  # naive UTC; the end of the period, or now if earlier
    # Restrict facts to one account, as the facts of that account alone: a
    # deal is tagged by this account only (segment 'account:ID').
    account_id: str | None = None
    # Restrict facts to the rows about some accounts, each row equal to the
    # one a computation without the filter gives: account facts of these
    # accounts, deals linked to them and leads matched to them. Either the
    # ids themselves or the name of a table with an ``account_id`` column,
    # so one compiled query serves any set of accounts.
    account_ids: frozenset[str] | None = None
    account_ids_table: str | None = None
    # Targets stored for this period, by (KPI key, segment); they replace
    # the config's targets (see abmkpi.kpi_targets).
    stored_targets: Mapping[tuple[str, str], float] = field(default_factory=dict)
    # The instant a contract cohort's outcome (renewed, churned, lapsed or
    # pending) is judged at: the computation's "now", later than as_of for a
    # past period, so a renewal signed after its period still counts there.
    # None judges at as_of.
    now: datetime | None = None
    _cache: dict[str, ir.Table] = field(default_factory=dict)

    @classmethod
    def for_period(
        cls,
        tables: TableSource,
        settings: Settings,
        period: Period,
        now: datetime | None = None,
        account_id: str | None = None,
        account_ids: Collection[str] | None = None,
        stored_targets: Mapping[tuple[str, str], float] | None = None,
    ) -> KpiContext:
        zone = settings.workspace.time_zone
        _, end = period.utc_bounds(zone)
        current = now or datetime.now(UTC).replace(tzinfo=None)
        as_of = min(end - timedelta(microseconds=1), current)
        listed = None if account_ids is None else frozenset(account_ids)
        return cls(
            tables,
            settings,
            period,
            as_of,
            account_id,
            listed,
            stored_targets=stored_targets or {},
            now=current,
        )

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.settings.fiscal, self.settings.workspace.time_zone)

    @cached_property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period as naive UTC instants [start, end)."""
        return self.period.utc_bounds(self.settings.workspace.time_zone)

    @property
    def as_of_date(self) -> date:
        return business_date(self.as_of, self.settings.workspace.time_zone)

    @property
    def observed_date(self) -> date:
        """The business date contract outcomes are judged at (see ``now``)."""
        instant = max(self.now or self.as_of, self.as_of)
        return business_date(instant, self.settings.workspace.time_zone)

    @property
    def is_partial(self) -> bool:
        return self.as_of < self.bounds[1] - timedelta(microseconds=1)

    def table(self, name: str) -> ir.Table:
        if name not in self._cache:
            self._cache[name] = self.tables.table(name)
        return self._cache[name]

    # Base relations ---------------------------------------------------------

    def is_listed(self, account_id: ir.StringValue) -> ir.BooleanValue | None:
        """Return whether an account id is among ``account_ids`` (None without
        a list)."""
        if self.account_ids is not None:
            return account_id.isin(sorted(self.account_ids))
        if self.account_ids_table is not None:
            return account_id.isin(self.table(self.account_ids_table).account_id)
        return None

    def tagged_accounts_expr(self) -> ir.Table:
        """Live accounts with their segment key, without the ``account_ids``
        filter: account_id, seg, tier."""
        accounts = self.table("accounts")
        live = accounts.filter(~accounts.is_deleted, accounts.merged_into_id.isnull())
        if self.account_id is not None:
            live = live.filter(live.id == self.account_id)
        return live.select(
            account_id=live.id,
            seg=ibis.ifelse(live.is_target, "target", "non_target"),
            tier=ibis.ifelse(live.is_target, live.tier, ibis.null("int32")),
        )

    def accounts_expr(self) -> ir.Table:
        """Live accounts with their segment key: account_id, seg, tier."""
        accounts = self.tagged_accounts_expr()
        listed = self.is_listed(accounts.account_id)
        return accounts if listed is None else accounts.filter(listed)

    def opportunities_expr(self) -> ir.Table:
        """Live opportunities tagged with their segment key.

        A deal linked to several accounts is one row: it is a target deal when
        any linked account is a target, with the best (lowest) tier; a deal
        with no live account is 'unattributed'.
        """
        opportunities = self.table("opportunities")
        live = opportunities.filter(
            ~opportunities.is_deleted, opportunities.merged_into_id.isnull()
        )
        links = self.table("opportunity_accounts")
        accounts = self.tagged_accounts_expr()
        linked = links.join(accounts, links.account_id == accounts.account_id)
        per_deal = linked.group_by(opportunity_id=linked.opportunity_id).aggregate(
            any_target=(linked.seg == "target").any(),
            best_tier=linked.tier.min(),
        )
        tagged = live.left_join(per_deal, live.id == per_deal.opportunity_id)
        tagged = tagged.mutate(
            seg=ibis.cases(
                (tagged.any_target, "target"),
                (tagged.any_target.notnull(), "non_target"),
                else_="unattributed",
            ),
            tier=tagged.best_tier,
        )
        if self.account_id is not None:
            tagged = tagged.filter(tagged.any_target.notnull())
        listed = self.is_listed(links.account_id)
        if listed is not None:
            tagged = tagged.filter(tagged.id.isin(links.filter(listed).opportunity_id))
        return tagged.drop("opportunity_id", "any_target", "best_tier")

    def activities_expr(self) -> ir.Table:
        """Live activities attributed to a live account, up to the as-of instant."""
        activities = self.table("activities")
        live = activities.filter(
            ~activities.is_deleted,
            activities.account_id.notnull(),
            activities.occurred_at <= self.as_of,
        )
        accounts = self.accounts_expr()
        return live.join(accounts, "account_id")

    def activities_in_period_expr(self) -> ir.Table:
        start, _ = self.bounds
        activities = self.activities_expr()
        return activities.filter(activities.occurred_at >= start)

    def in_period(self, day: ir.DateValue) -> ir.BooleanValue:
        """Whether a date column falls in the period, up to the as-of date."""
        return day.between(self.period.start, min(self.period.end, self.as_of_date))

    def instant_in_period(self, instant: ir.TimestampValue) -> ir.BooleanValue:
        start, _ = self.bounds
        return (instant >= start) & (instant <= self.as_of)
