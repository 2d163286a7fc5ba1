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

from abmkpi.config import Settings
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)


def rate_sql(currency: str, day: str) -> str:
    """Return SQL for the rate of ``currency`` on ``day`` (both SQL expressions)."""
    return f"""coalesce(
        (SELECT r.rate FROM fx_rates r
         WHERE r.currency = {currency} AND r.valid_from IS NOT NULL
           AND r.valid_from <= {day} AND (r.valid_to IS NULL OR {day} < r.valid_to)
         ORDER BY r.valid_from DESC LIMIT 1),
        (SELECT r.rate FROM fx_rates r
         WHERE r.currency = {currency} AND r.valid_from IS NULL
         ORDER BY r.is_corporate DESC LIMIT 1))"""


def _conversion_sql(amount: str, currency: str, day: str) -> str:
    # A reporting currency without a rate row is taken as the corporate one.
    reporting_rate = f"coalesce({rate_sql('$reporting', day)}, 1.0)"
    return f"""CASE
        WHEN {amount} IS NULL THEN NULL
        WHEN {currency} IS NULL OR {currency} = $reporting THEN {amount}
        ELSE {amount} / {rate_sql(currency, day)} * {reporting_rate}
    END"""


def convert_amounts(store: Store, settings: Settings) -> dict[str, int]:
    """Set amount_reporting on opportunities and arr_reporting on contracts."""
    reporting = settings.workspace.reporting_currency
    day = "coalesce(o.close_date, o.created_on, current_date)"
    store.execute(
        f"""
        UPDATE opportunities AS o SET
            amount_reporting = {_conversion_sql("o.amount", "o.currency", day)}
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
            arr_reporting = {_conversion_sql(annual, "o.currency", contract_day)}
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
    return {"opportunities_without_rate": int(missing or 0)}
