"""Target accounts and ICP fit: the ABM list every KPI is measured on.

Targets come either from a list the user gives (account ids, names or
domains, each with a tier) or from the ICP rules in the config. The list is
stored as given and resolved against the accounts after every import, so an
entry whose account arrives later still becomes a target.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from abmkpi.config import MAX_TIER, NUMERIC_ICP_FIELDS, IcpRule, Settings
from abmkpi.errors import InputError, InputProblem, MessageText, UserMessage
from abmkpi.sources.csvfile import read_csv
from abmkpi.spreadsheet import safe_cell
from abmkpi.store.database import Store

logger = logging.getLogger(__name__)

_ID_HEADERS = ("id", "account_id", "accountid", "取引先id", "取引先 id")
_NAME_HEADERS = ("name", "account", "account_name", "company", "取引先名", "会社名")
_DOMAIN_HEADERS = ("domain", "website", "ドメイン", "web サイト", "webサイト")
_TIER_HEADERS = ("tier", "ティア", "優先度")

_SQL_OPS = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "==": "=", "!=": "<>"}


@dataclass
class TargetEntry:
    entry: str
    kind: str  # id | name | domain | any (a line of a list without a header)
    tier: int = 1


@dataclass
class TargetReport:
    """The resolved target list and what needs the user's attention."""

    mode: str
    targets: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[TargetEntry] = field(default_factory=list)
    ambiguous: list[tuple[TargetEntry, list[str]]] = field(default_factory=list)
    warnings: list[MessageText] = field(default_factory=list)


def read_target_file(path: Path, default_tier: int = 1) -> list[TargetEntry]:
    """Read a target list: a CSV with an id, name or domain column, or plain lines."""
    table = read_csv(path)
    id_col = table.column(*_ID_HEADERS)
    name_col = table.column(*_NAME_HEADERS)
    domain_col = table.column(*_DOMAIN_HEADERS)
    tier_col = table.column(*_TIER_HEADERS)
    if not (id_col or name_col or domain_col):
        if len(table.header) != 1:
            raise InputError(
                InputProblem(
                    path,
                    1,
                    None,
                    ",".join(table.header),
                    "no id, name or domain column",
                ),
                hint="name a column id, name or domain "
                "(or AccountId, 取引先名, website)",
            )
        return _plain_entries(
            path,
            table.header[0],
            [r.values[table.header[0]] for r in table.rows],
            default_tier,
        )
    entries: dict[tuple[str, str], tuple[TargetEntry, int]] = {}
    problems: list[InputProblem] = []
    for row in table.rows:
        tier = default_tier
        if tier_col and row.values.get(tier_col, "").strip():
            raw_tier = row.values[tier_col].strip()
            if not raw_tier.isdigit() or not 1 <= int(raw_tier) <= MAX_TIER:
                problems.append(
                    InputProblem(
                        path,
                        row.line,
                        tier_col,
                        raw_tier,
                        f"tier must be a whole number from 1 to {MAX_TIER}",
                    )
                )
                continue
            tier = int(raw_tier)
        for column, kind in (
            (id_col, "id"),
            (domain_col, "domain"),
            (name_col, "name"),
        ):
            value = (row.values.get(column) or "").strip() if column else ""
            if value:
                problem = _add_entry(entries, TargetEntry(value, kind, tier), row.line)
                if problem:
                    problems.append(
                        InputProblem(path, row.line, column, value, problem)
                    )
                break
    if problems:
        raise InputError(problems)
    return [entry for entry, _ in entries.values()]


def _add_entry(
    entries: dict[tuple[str, str], tuple[TargetEntry, int]],
    entry: TargetEntry,
    line: int,
) -> str | None:
    """Add an entry unless it is listed already; return why a repeat conflicts."""
    key = (entry.kind, entry.entry)
    first = entries.get(key)
    if first is None:
        entries[key] = (entry, line)
        return None
    if first[0].tier == entry.tier:
        return None
    return (
        f"listed again with tier {entry.tier}; line {first[1]} gives tier "
        f"{first[0].tier}. Keep one line per account."
    )


def _plain_entries(
    path: Path, first: str, rest: list[str], tier: int
) -> list[TargetEntry]:
    entries = []
    for value in [first, *rest]:
        value = value.strip()
        if value:
            # Without a header the entry may be an id, a domain or a name;
            # resolution tries them in that order.
            entries.append(TargetEntry(value, "any", tier))
    logger.info(
        "%s has no header; read %d entries as names or domains", path, len(entries)
    )
    return entries


def set_list(
    store: Store, settings: Settings, entries: list[TargetEntry]
) -> TargetReport:
    """Replace the target list with these entries and resolve it."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.transaction():
        store.execute("DELETE FROM target_list")
        store.execute("INSERT OR REPLACE INTO meta VALUES ('targets_mode', 'list')")
        for entry in entries:
            store.execute(
                "INSERT OR REPLACE INTO target_list VALUES (?, ?, ?, 'file', ?)",
                [entry.entry, entry.kind, entry.tier, now],
            )
        return apply(store, settings)


def set_from_icp(store: Store, settings: Settings) -> TargetReport:
    """Make every account whose ICP fit reaches the configured minimum a target."""
    with store.transaction():
        store.execute("DELETE FROM target_list")
        store.execute("INSERT OR REPLACE INTO meta VALUES ('targets_mode', 'icp')")
        return apply(store, settings)


def clear(store: Store, settings: Settings) -> TargetReport:
    with store.transaction():
        store.execute("DELETE FROM target_list")
        store.execute("INSERT OR REPLACE INTO meta VALUES ('targets_mode', 'none')")
        return apply(store, settings)


def apply(store: Store, settings: Settings) -> TargetReport:
    """Recompute fit scores and grades, then the target flag and tier of accounts."""
    _score_fit(store, settings)
    mode = store.scalar("SELECT value FROM meta WHERE key = 'targets_mode'") or "none"
    store.execute("UPDATE accounts SET is_target = false, tier = NULL")
    report = TargetReport(mode)
    if mode == "icp":
        _apply_icp(store, settings)
    elif mode == "list":
        _apply_list(store, report)
    report.targets = store.fetch_dicts(
        """
        SELECT id, source_id, name, tier, fit_score, fit_grade FROM accounts
        WHERE is_target ORDER BY tier, name
        """
    )
    count = len(report.targets)
    low, high = settings.targets.min_count, settings.targets.max_count
    if mode != "none" and not low <= count <= high:
        report.warnings.append(
            UserMessage(
                "%(count)s target accounts; ABM programs start with %(low)s-%(high)s, "
                "so KPIs of a much larger or smaller list are hard to act on and "
                "their intervals are wide or meaningless",
                count=count,
                low=low,
                high=high,
            )
        )
    return report


def _score_fit(store: Store, settings: Settings) -> None:
    rules = settings.icp.rules
    if not rules:
        store.execute("UPDATE accounts SET fit_score = NULL, fit_grade = NULL")
        return
    terms: list[str] = []
    params: list[Any] = []
    for rule in rules:
        condition, values = _rule_sql(rule)
        terms.append(f"CASE WHEN {condition} THEN {float(rule.points)} ELSE 0 END")
        params.extend(values)
    score = f"least(100.0, {' + '.join(terms)})"
    store.execute(f"UPDATE accounts SET fit_score = {score}", params, table="accounts")
    grades = sorted(settings.icp.grades.items(), key=lambda item: -item[1])
    grade_sql = " ".join(
        f"WHEN fit_score >= {float(minimum)} THEN ?" for _, minimum in grades
    )
    store.execute(
        f"UPDATE accounts SET fit_grade = CASE {grade_sql} ELSE 'D' END",
        [grade for grade, _ in grades],
        table="accounts",
    )


def _rule_sql(rule: IcpRule) -> tuple[str, list[Any]]:
    """Return a SQL condition for one ICP rule; values are bound parameters.

    The settings model has checked that the value fits the field and op:
    numbers for numeric fields, text for the others, a list for in/not in.
    """
    column = rule.field  # validated against a fixed list of account columns
    numeric = column in NUMERIC_ICP_FIELDS
    if rule.op in ("in", "not in"):
        values = rule.value if isinstance(rule.value, list) else [rule.value]
        negate = "NOT " if rule.op == "not in" else ""
        if numeric:
            marks = ", ".join("?" for _ in values)
            return f"{column} {negate}IN ({marks})", list(values)
        marks = ", ".join("lower(?)" for _ in values)
        return f"lower({column}) {negate}IN ({marks})", [str(v) for v in values]
    if rule.op == "contains":
        return f"contains(lower({column}), lower(?))", [str(rule.value)]
    operator = _SQL_OPS[rule.op]
    if numeric:
        return f"{column} {operator} ?", [rule.value]
    return f"lower({column}) {operator} lower(?)", [str(rule.value)]


def _apply_icp(store: Store, settings: Settings) -> None:
    minimum = settings.targets.icp_min_fit_score
    thresholds = sorted(settings.targets.icp_tier_thresholds, reverse=True)
    cases = " ".join(
        f"WHEN fit_score >= {float(t)} THEN {i}" for i, t in enumerate(thresholds, 1)
    )
    store.execute(
        f"""
        UPDATE accounts SET is_target = true,
            tier = CASE {cases} ELSE {len(thresholds) + 1} END
        WHERE fit_score >= ? AND NOT is_deleted AND merged_into_id IS NULL
        """,
        [minimum],
        table="accounts",
    )


def _apply_list(store: Store, report: TargetReport) -> None:
    entries = [
        TargetEntry(entry, kind, tier)
        for entry, kind, tier in store.fetch_all(
            "SELECT entry, kind, tier FROM target_list"
        )
    ]
    for entry in entries:
        candidates = _candidates(store, entry)
        if not candidates:
            report.unresolved.append(entry)
            continue
        if len(candidates) > 1:
            report.ambiguous.append((entry, candidates))
            continue
        store.execute(
            """
            UPDATE accounts SET is_target = true,
                tier = CASE WHEN is_target THEN least(tier, ?) ELSE ? END
            WHERE id = ?
            """,
            [entry.tier, entry.tier, candidates[0]],
        )


_LIVE = "NOT is_deleted AND merged_into_id IS NULL"


def _candidates(store: Store, entry: TargetEntry) -> list[str]:
    if entry.kind == "any":
        for kind in ("id", "domain", "name"):
            found = _candidates(store, TargetEntry(entry.entry, kind, entry.tier))
            if found:
                return found
        return []
    if entry.kind == "id":
        rows = store.fetch_all(
            f"SELECT id FROM accounts WHERE (id = ? OR source_id = ?) AND {_LIVE}",
            [entry.entry, entry.entry],
        )
    elif entry.kind == "domain":
        from abmkpi.sources.values import domain_of_website

        domain = domain_of_website(entry.entry) or entry.entry.lower()
        rows = store.fetch_all(
            f"""
            SELECT DISTINCT a.id FROM account_domains d
            JOIN accounts a ON a.id = d.account_id
            WHERE d.domain = ? AND d.origin = 'website' AND {_LIVE}
            """,
            [domain],
        )
    else:
        from abmkpi.matching.names import normalize_company_name

        rows = store.fetch_all(
            f"SELECT id FROM accounts WHERE name_key = ? AND {_LIVE}",
            [normalize_company_name(entry.entry)],
        )
    return sorted(row[0] for row in rows)


def write_target_list(path: Path, report: TargetReport) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "tier"])
        for target in report.targets:
            row = [target["source_id"], target["name"], target["tier"]]
            writer.writerow([safe_cell(cell) for cell in row])
