"""Report export values: amounts with a currency code, and percentages.

Reports write an amount with its record's currency (``JPY 1,200,000``) in
multi-currency orgs, and a percentage with its sign (``10%``). The readers
parse plain numbers, so these values are cleaned first and the currency
code is kept to become the record's currency.
"""

from __future__ import annotations

import re
import unicodedata

from abmkpi.errors import InputProblem
from abmkpi.sources.base import FileReport
from abmkpi.sources.csvfile import CsvFile, CsvRow
from abmkpi.sources.fields import Field, ParsedTable
from abmkpi.sources.salesforce.common import SalesforceObject
from abmkpi.sources.values import parse_number

# Fields whose report values may start or end with an ISO currency code.
MONEY_FIELDS = frozenset(
    {"Amount", "AnnualRevenue", "ActualCost", "BudgetedCost", "ARR", "MRR"}
)
_CODE_FIRST = re.compile(r"^([A-Z]{3})\s*(.+)$")
_CODE_LAST = re.compile(r"^(.+?)\s*([A-Z]{3})$")


def numeric_columns(
    csv_file: CsvFile, spec: SalesforceObject
) -> list[tuple[Field, str]]:
    """Return the number fields of the spec that the file has, with headers."""
    columns = []
    for item in spec.fields:
        header = csv_file.column(*item.headers)
        if item.kind in ("number", "int") and header is not None:
            columns.append((item, header))
    return columns


def clean_row(
    row: CsvRow,
    numeric: list[tuple[Field, str]],
    currencies: dict[int, dict[str, str]],
) -> CsvRow:
    """Strip currency codes from amounts and % signs from percentages.

    The codes go to ``currencies``, by line and header.
    """
    values = dict(row.values)
    for item, header in numeric:
        raw = values.get(header)
        if not raw:
            continue
        if item.name in MONEY_FIELDS:
            amount, code = split_currency(raw)
            if code is not None:
                values[header] = amount
                currencies.setdefault(row.line, {})[header] = code
        elif "%" in unicodedata.normalize("NFKC", header):
            values[header] = _strip_percent(raw)
    return CsvRow(row.line, values)


def split_currency(text: str) -> tuple[str, str | None]:
    """Split ``JPY 1,200,000`` (or ``1,200,000 JPY``) into amount and code.

    A value whose remainder is not a number is returned unchanged, so that the
    number parser reports the value as written.
    """
    normalized = unicodedata.normalize("NFKC", text).strip()
    for pattern, amount_group, code_group in ((_CODE_FIRST, 2, 1), (_CODE_LAST, 1, 2)):
        match = pattern.match(normalized)
        if match is None:
            continue
        amount = match[amount_group]
        try:
            parse_number(amount)
        except ValueError:
            continue
        return amount, match[code_group]
    return text, None


def _strip_percent(text: str) -> str:
    normalized = unicodedata.normalize("NFKC", text).strip()
    return normalized[:-1].strip() if normalized.endswith("%") else text


def apply_currencies(
    currencies: dict[int, dict[str, str]],
    has_currency: bool,
    table: ParsedTable,
    report: FileReport,
) -> None:
    """Set each row's currency from its amounts, rejecting contradictions.

    ``has_currency`` is true when the object has a currency field to set.
    """
    kept = []
    for row in table.rows:
        codes = currencies.get(row.line, {})
        problem = _currency_problem(row.values.get("CurrencyIsoCode"), codes, table)
        if problem is not None:
            report.rejects.append(InputProblem(table.file.path, row.line, *problem))
            continue
        if codes and has_currency:
            row.values["CurrencyIsoCode"] = next(iter(codes.values()))
        kept.append(row)
    table.rows = kept


def _currency_problem(
    declared: str | None, codes: dict[str, str], table: ParsedTable
) -> tuple[str, str, str] | None:
    distinct = set(codes.values())
    if len(distinct) > 1:
        header = next(iter(codes))
        return header, ", ".join(sorted(distinct)), "amounts in different currencies"
    if declared and distinct and declared not in distinct:
        header = next(iter(codes))
        column = table.header_of("CurrencyIsoCode") or "CurrencyIsoCode"
        return (
            header,
            codes[header],
            f"the amount's currency differs from {declared} in column {column}",
        )
    return None
