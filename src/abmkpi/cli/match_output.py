"""Human-readable and CSV output of the match report."""

from __future__ import annotations

from typing import Any

from abmkpi.cli import console
from abmkpi.cli.common import OutputFormat, print_csv, print_table
from abmkpi.cli.labels import Labels
from abmkpi.matching.report import MatchCounts, MatchReport
from abmkpi.vocabulary import N_

TABLE_LABELS = {"people": N_("People"), "activities": N_("Activities")}

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


def _breakdown(counts: MatchCounts, t: Labels) -> str:
    matched = ", ".join(
        f"{t.term('match_method', method)} {n:,}"
        for method, n in sorted(counts.by_method.items())
    )
    unmatched = ", ".join(
        f"{t.term('unmatched_reason', reason)} {n:,}"
        for reason, n in sorted(counts.unmatched.items())
    )
    parts = []
    if matched:
        parts.append(t("matched by %(methods)s", methods=matched))
    if unmatched:
        parts.append(t("unmatched: %(reasons)s", reasons=unmatched))
    return "; ".join(parts)


def print_match_report(report: MatchReport, output: OutputFormat, t: Labels) -> None:
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
                        t.term("source_system", source.source_system),
                        t(TABLE_LABELS[table]),
                        f"{counts.total:,}",
                        f"{counts.matched:,}",
                        _rate(counts),
                        _breakdown(counts, t),
                    ]
                )
    print_table(
        t("Match report: people and activities matched to an account"),
        [
            t("Source"),
            t("Records"),
            t("Total"),
            t("Matched records"),
            t("Match rate"),
            t("How, and why not"),
        ],
        rows,
        right=(2, 3, 4),
    )
    for source in report.sources:
        _print_issues(source, t)


def _print_issues(source: Any, t: Labels) -> None:
    name = t.term("source_system", source.source_system)
    if source.ambiguous_total:
        message = t(
            "%(count)s ambiguous records left unmatched",
            count=format(source.ambiguous_total, ","),
        )
        console.print(f"{name}: {message}")
        for item in source.ambiguous[:10]:
            console.print(
                f"  {item.record_id} ({t.term('unmatched_reason', item.kind)}): "
                f"{', '.join(item.candidates)}",
                markup=False,
                highlight=False,
            )
    if source.duplicate_groups_total:
        message = t(
            "%(count)s people with several records (counted once)",
            count=format(source.duplicate_groups_total, ","),
        )
        console.print(f"{name}: {message}")
    if source.merge_problems_total:
        message = t(
            "%(count)s merges not applied as the source states them",
            count=format(source.merge_problems_total, ","),
        )
        console.print(f"{name}: {message}")
        for problem in source.merge_problems[:10]:
            console.print(f"  {problem.record_id} ({problem.kind}): {problem.detail}")
    if source.free_mail_domains_total:
        domains = ", ".join(
            f"{item.domain} ({item.people})" for item in source.free_mail_domains[:8]
        )
        message = t(
            "free-mail domains never used for matching: %(domains)s", domains=domains
        )
        console.print(
            f"{name}: {message}",
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
