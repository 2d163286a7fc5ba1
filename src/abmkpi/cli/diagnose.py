"""The diagnose command: the KPI-setup checklist, for people and schedulers."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer
from rich.text import Text

from abmkpi.cli import app, console
from abmkpi.cli.common import (
    OutputFormat,
    json_default,
    language,
    load_workspace,
    print_csv,
    print_json,
)

if TYPE_CHECKING:
    from abmkpi.diagnostics import DiagnosticsReport

# Exit status when an item reaches the --fail-on status. The CLI's own errors
# exit with 1 and usage errors with 2, so a scheduler can tell them apart.
EXIT_CHECK_FAILED = 3

CSV_COLUMNS = [
    "id",
    "part",
    "status",
    "title_en",
    "title_ja",
    "summary_en",
    "summary_ja",
    "fix_en",
    "fix_ja",
    "evidence",
]


# A message id of the catalog, like the item texts.
FIX_LABEL = "Fix"

STATUS_STYLES = {
    "pass": "green",
    "warn": "yellow",
    "fail": "bold red",
    "not_applicable": "dim",
}


class FailOn(StrEnum):
    WARN = "warn"
    FAIL = "fail"


@app.command()
def diagnose(
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
    fail_on: FailOn = typer.Option(
        FailOn.FAIL,
        "--fail-on",
        help="Exit with status 3 when an item is at this status or worse: warn "
        "or fail.",
    ),
) -> None:
    """Check the KPI setup: every checklist item with its evidence and fix."""
    from abmkpi.diagnostics import CheckStatus, run_diagnostics
    from abmkpi.usage import UsageKind, record_usage

    workspace = load_workspace()
    with workspace.open_store() as store:
        report = run_diagnostics(store, workspace.settings)
        record_usage(
            store,
            UsageKind.DIAGNOSE_RUN,
            actor="cli",
            detail={"status": str(report.status()), "counts": report.counts()},
            when=report.checked_at,
        )
    if output is OutputFormat.JSON:
        print_json(report.to_dict())
    elif output is OutputFormat.CSV:
        print_csv(CSV_COLUMNS, _csv_rows(report))
    else:
        _print_checklist(report, language(workspace))
    if report.fails_at(CheckStatus(fail_on.value)):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _csv_rows(report: DiagnosticsReport) -> list[dict[str, Any]]:
    rows = []
    for item in report.to_dict()["items"]:
        fix = item["fix"] or {}
        rows.append(
            {
                "id": item["id"],
                "part": item["part"],
                "status": item["status"],
                "title_en": item["title"]["en"],
                "title_ja": item["title"]["ja"],
                "summary_en": item["summary"]["en"],
                "summary_ja": item["summary"]["ja"],
                "fix_en": fix.get("en"),
                "fix_ja": fix.get("ja"),
                "evidence": json.dumps(
                    item["evidence"], ensure_ascii=False, default=json_default
                ),
            }
        )
    return rows


def _print_checklist(report: DiagnosticsReport, lang: str) -> None:
    """Print each part's items as blocks: status, title, finding and fix.

    Blocks rather than a table, because Japanese text has no spaces at which
    a narrow table column could wrap it.
    """
    from abmkpi.diagnostics.items import PART_TITLES, STATUS_LABELS, message

    for part, items in report.by_part():
        console.print(Text(message(PART_TITLES[part]).render(lang), style="bold"))
        for item in items:
            label = message(STATUS_LABELS[item.status]).render(lang)
            head = Text(f"  [{label}] ", style=STATUS_STYLES[item.status])
            head.append(f"{message(item.title).render(lang)}  ({item.id})")
            console.print(head)
            console.print(Text(f"      {item.summary.render(lang)}"))
            if item.fix is not None:
                fix = message(FIX_LABEL).render(lang)
                console.print(Text(f"      {fix}: {item.fix.render(lang)}"))
        console.print()
    counts = report.counts()
    console.print(
        ", ".join(
            f"{message(STATUS_LABELS[status]).render(lang)} {counts[str(status)]}"
            for status in STATUS_LABELS
        )
    )
