"""Human-readable and CSV output of the match report."""

from __future__ import annotations

from typing import Any

from abmkpi.cli import console
from abmkpi.cli.common import OutputFormat, print_csv, print_table
from abmkpi.matching.report import MatchCounts, MatchReport

CSV_COLUMNS = [
    "source",
    "table",
    "total",
    "matched",
    "match_rate",
    "kind",
    "name",
    "count",
]


def _rate(counts: MatchCounts) -> str:
    rate = counts.match_rate
    return "–" if rate is None else f"{rate:.1%}"


def _breakdown(counts: MatchCounts) -> str:
    matched = ", ".join(
        f"{method} {n:,}" for method, n in sorted(counts.by_method.items())
    )
    unmatched = ", ".join(
        f"{reason} {n:,}" for reason, n in sorted(counts.unmatched.items())
    )
    parts = []
    if matched:
        parts.append(f"matched by {matched}")
    if unmatched:
        parts.append(f"unmatched: {unmatched}")
    return "; ".join(parts)


def print_match_report(report: MatchReport, output: OutputFormat) -> None:
    if output == OutputFormat.CSV:
        print_csv(CSV_COLUMNS, _csv_rows(report))
        return
    rows = []
    for source in report.sources:
        for table in ("people", "activities"):
            counts: MatchCounts = getattr(source, table)
            if counts.total:
                rows.append(
                    [
                        source.source_system,
                        table,
                        f"{counts.total:,}",
                        f"{counts.matched:,}",
                        _rate(counts),
                        _breakdown(counts),
                    ]
                )
    print_table(
        "match report: people and activities matched to an account",
        ["source", "table", "total", "matched", "rate", "how, and why not"],
        rows,
        right=(2, 3, 4),
    )
    for source in report.sources:
        _print_issues(source)


def _print_issues(source: Any) -> None:
    name = source.source_system
    if source.ambiguous_total:
        console.print(
            f"{name}: {source.ambiguous_total:,} ambiguous records left unmatched"
        )
        for item in source.ambiguous[:10]:
            console.print(
                f"  {item.record_id} ({item.kind}): {', '.join(item.candidates)}",
                markup=False,
                highlight=False,
            )
    if source.duplicate_groups_total:
        console.print(
            f"{name}: {source.duplicate_groups_total:,} people with several records "
            "(counted once)"
        )
    if source.merge_problems_total:
        console.print(
            f"{name}: {source.merge_problems_total:,} merges not applied as the "
            "source states them"
        )
        for problem in source.merge_problems[:10]:
            console.print(f"  {problem.record_id} ({problem.kind}): {problem.detail}")
    if source.free_mail_domains_total:
        domains = ", ".join(
            f"{item.domain} ({item.people})" for item in source.free_mail_domains[:8]
        )
        console.print(
            f"{name}: free-mail domains never used for matching: {domains}",
            markup=False,
            highlight=False,
        )


def _csv_rows(report: MatchReport) -> list[dict[str, Any]]:
    rows = []
    for source in report.sources:
        for table in ("people", "activities"):
            counts: MatchCounts = getattr(source, table)
            base = {
                "source": source.source_system,
                "table": table,
                "total": counts.total,
                "matched": counts.matched,
                "match_rate": counts.match_rate,
            }
            for method, count in counts.by_method.items():
                rows.append({**base, "kind": "method", "name": method, "count": count})
            for reason, count in counts.unmatched.items():
                rows.append(
                    {**base, "kind": "unmatched", "name": reason, "count": count}
                )
    return rows
