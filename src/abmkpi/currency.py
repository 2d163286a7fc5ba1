"""Converting amounts to the reporting currency with dated exchange rates.

Rates follow Salesforce: ``rate`` is units of the currency per one unit of
the corporate currency, so an amount in the corporate currency is
``amount / rate``. A dated rate applies from ``valid_from`` up to, but not
including, ``valid_to``; a deal closing on the day a new rate starts uses the
new rate. An opportunity converts at the rate of its close date (as
Salesforce's advanced currency management does); dates without a dated rate
fall back to the undated rate. Amounts whose currency has no rate stay
unconverted and are flagged, never summed raw.
"""

from __future__ import annotations

import logging
from typing import Any

from abmkpi.config import Settings
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


# When several rates apply to one currency and day (two sources, or two rows
# of one file), the latest start wins, then the corporate rate, then the
# first source and row id by name, so every run picks the same one.
# :func:`rate_conflicts` lists such days so the user can remove one.
_RATE_ORDER = "r.is_corporate DESC, r.source_system, r.id"


def rate_sql(currency: str, day: str) -> str:
    """Return SQL for the rate of ``currency`` on ``day`` (both SQL expressions)."""
    return f"""coalesce(
        (SELECT r.rate FROM fx_rates r
         WHERE r.currency = {currency} AND r.valid_from IS NOT NULL
           AND r.valid_from <= {day} AND (r.valid_to IS NULL OR {day} < r.valid_to)
         ORDER BY r.valid_from DESC, {_RATE_ORDER} LIMIT 1),
        (SELECT r.rate FROM fx_rates r
         WHERE r.currency = {currency} AND r.valid_from IS NULL
         ORDER BY {_RATE_ORDER} LIMIT 1))"""


def rate_conflicts(store: Store) -> list[str]:
    """Describe each currency and start date that has several different rates."""
    rows = store.fetch_all(
        f"""
        SELECT r.currency, r.valid_from,
               list(r.rate || ' (' || r.id || ')' ORDER BY {_RATE_ORDER})
        FROM fx_rates r
        GROUP BY r.currency, r.valid_from
        HAVING count(DISTINCT r.rate) > 1
        ORDER BY r.currency, r.valid_from NULLS FIRST
        """
    )
    return [
        f"{currency} {'undated' if start is None else f'from {start}'}: "
        f"{rates[0]} is used over {', '.join(rates[1:])}"
        for currency, start, rates in rows
    ]


def _conversion_sql(amount: str, currency: str, day: str) -> str:
    # A reporting currency without a rate row is taken as the corporate one.
    reporting_rate = f"coalesce({rate_sql('$reporting', day)}, 1.0)"
    return f"""CASE
        WHEN {amount} IS NULL THEN NULL
        WHEN {currency} = $reporting THEN {amount}
        ELSE {amount} / {rate_sql(currency, day)} * {reporting_rate}
    END"""


# The currency of a record that names none: the source's configured currency,
# else the corporate currency its own rate file declares, else the reporting
# currency (counted, so the user can set [sources.<name>] currency).
_IMPLIED_CURRENCY_SQL = """coalesce(o.currency,
    (SELECT c.currency FROM stage_source_currency c
     WHERE c.source_system = o.source_system),
    (SELECT r.currency FROM fx_rates r
     WHERE r.is_corporate AND r.source_system = o.source_system LIMIT 1),
    $reporting)"""


def _stage_source_currencies(store: Store, settings: Settings) -> None:
    store.execute(
        "CREATE OR REPLACE TEMP TABLE stage_source_currency "
        "(source_system VARCHAR, currency VARCHAR)"
    )
    rows = [
        (name, source.currency)
        for name, source in settings.sources.items()
        if source.currency
    ]
    store.execute_many("INSERT INTO stage_source_currency VALUES (?, ?)", rows)


def convert_amounts(store: Store, settings: Settings) -> dict[str, Any]:
    """Set amount_reporting on opportunities and arr_reporting on contracts."""
    reporting = settings.workspace.reporting_currency
    _stage_source_currencies(store, settings)
    implied = _IMPLIED_CURRENCY_SQL
    day = "coalesce(o.close_date, o.created_on, current_date)"
    store.execute(
        f"""
        UPDATE opportunities AS o SET
            amount_reporting = {_conversion_sql("o.amount", implied, day)}
        """.replace("$reporting", "$1"),
        [reporting],
        table="opportunities",
    )
    store.execute(
        """
        UPDATE opportunities SET fx_rate_missing =
            (amount IS NOT NULL AND amount_reporting IS NULL)
        """,
        table="opportunities",
    )
    contract_day = "coalesce(o.start_date, current_date)"
    annual = "coalesce(o.arr, o.mrr * 12)"
    store.execute(
        f"""
        UPDATE contracts AS o SET
            arr_reporting = {_conversion_sql(annual, implied, contract_day)}
        """.replace("$reporting", "$1"),
        [reporting],
        table="contracts",
    )
    missing = store.scalar("SELECT count(*) FROM opportunities WHERE fx_rate_missing")
    if missing:
        logger.warning(
            "%d opportunities have a currency without an exchange rate to %s; "
            "their amounts are left out of totals",
            missing,
            reporting,
        )
    assumed = _assumed_currency_counts(store)
    store.execute("DROP TABLE stage_source_currency")
    conflicts = rate_conflicts(store)
    for conflict in conflicts:
        logger.info("several exchange rates for one day: %s", conflict)
    return {
        "opportunities_without_rate": int(missing or 0),
        "currency_assumed": assumed,
        "rate_conflicts": conflicts,
    }


def _assumed_currency_counts(store: Store) -> dict[str, int]:
    """Count, per source, deals without a currency that took the reporting one."""
    rows = store.fetch_all(
        """
        SELECT o.source_system, count(*) FROM opportunities o
        WHERE o.currency IS NULL AND o.amount IS NOT NULL AND NOT o.is_deleted
          AND NOT EXISTS (SELECT 1 FROM stage_source_currency c
                          WHERE c.source_system = o.source_system)
          AND NOT EXISTS (SELECT 1 FROM fx_rates r
                          WHERE r.is_corporate AND r.source_system = o.source_system)
        GROUP BY ALL ORDER BY ALL
        """
    )
    return {source: int(count) for source, count in rows}
