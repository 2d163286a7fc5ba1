"""Contract, CurrencyType and DatedConversionRate."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from abmkpi.sources.fields import Field, ParsedRow
from abmkpi.sources.salesforce.common import (
    SOURCE,
    FileContext,
    SalesforceObject,
    present,
    record_base,
    references,
    sf_id,
)

# Custom fields read as ARR and MRR: Contract has no standard field for either.
_ARR_HEADERS = ("ARR__c", "AnnualRecurringRevenue__c", "Annual_Recurring_Revenue__c")
_MRR_HEADERS = ("MRR__c", "MonthlyRecurringRevenue__c", "Monthly_Recurring_Revenue__c")


def convert_contract(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    record = {
        **record_base(values),
        **present(
            values,
            {
                "start_date": "StartDate",
                "status": "Status",
                "currency": "CurrencyIsoCode",
                "arr": "ARR",
                "mrr": "MRR",
            },
        ),
        **references(values, {"source_account_id": "AccountId"}),
    }
    if ctx.has("EndDate", "ContractTerm"):
        record["end_date"] = values.get("EndDate") or contract_end(
            values.get("StartDate"), values.get("ContractTerm")
        )
    ctx.add("contracts", record, row.line)


def contract_end(start: date | None, term_months: int | None) -> date | None:
    """Return the end date Salesforce computes: start + term months - 1 day.

    Adding months keeps the day of month, or the month's last day when it is
    shorter (January 31 + 1 month = February 29 in 2024).
    """
    if start is None or term_months is None:
        return None
    months = start.month - 1 + term_months
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) - timedelta(days=1)


def convert_currency(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    code = values["IsoCode"]
    if not _valid_rate(row, ctx):
        return
    record = {
        "id": sf_id(f"CurrencyType:{code}"),
        "source_system": SOURCE,
        "currency": code,
        "rate": values["ConversionRate"],
        "valid_from": None,
        "valid_to": None,
        **present(values, {"is_corporate": "IsCorporate"}),
    }
    if "is_corporate" in record:
        record["is_corporate"] = bool(record["is_corporate"])
    ctx.add("fx_rates", record, row.line)


def convert_dated_rate(row: ParsedRow, ctx: FileContext) -> None:
    values = row.values
    code, start = values["IsoCode"], values["StartDate"]
    if not _valid_rate(row, ctx):
        return
    record = {
        "id": sf_id(f"DatedConversionRate:{code}:{start.isoformat()}"),
        "source_system": SOURCE,
        "currency": code,
        "rate": values["ConversionRate"],
        "valid_from": start,
        **present(values, {"valid_to": "NextStartDate"}),
    }
    ctx.add("fx_rates", record, row.line)


def _valid_rate(row: ParsedRow, ctx: FileContext) -> bool:
    rate = row.values["ConversionRate"]
    if rate <= 0:
        ctx.reject(row.line, "ConversionRate", rate, "a conversion rate must be > 0")
        return False
    return True


CONTRACT = SalesforceObject(
    name="Contract",
    table="contracts",
    id_prefix="800",
    fields=(
        Field.of("Id", kind="id", required=True),
        Field.of("AccountId", kind="id"),
        Field.of("StartDate", kind="date"),
        Field.of("EndDate", kind="date"),
        Field.of("ContractTerm", kind="int"),
        Field.of("Status"),
        Field.of("CurrencyIsoCode"),
        Field("ARR", _ARR_HEADERS, "number"),
        Field("MRR", _MRR_HEADERS, "number"),
    ),
    convert=convert_contract,
)

CURRENCY_TYPE = SalesforceObject(
    name="CurrencyType",
    table="fx_rates",
    key_header="IsoCode",
    fields=(
        Field.of("IsoCode", required=True),
        Field.of("ConversionRate", kind="number", required=True),
        Field.of("IsCorporate", kind="bool"),
    ),
    convert=convert_currency,
)

DATED_CONVERSION_RATE = SalesforceObject(
    name="DatedConversionRate",
    table="fx_rates",
    key_header="IsoCode",
    fields=(
        Field.of("IsoCode", required=True),
        Field.of("ConversionRate", kind="number", required=True),
        Field.of("StartDate", kind="date", required=True),
        Field.of("NextStartDate", kind="date"),
    ),
    convert=convert_dated_rate,
)
