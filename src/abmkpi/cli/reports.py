"""Commands that show numbers: kpi, accounts and account."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from abmkpi.cli import app, errors, say
from abmkpi.cli.common import (
    OutputFormat,
    bad_parameter,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.errors import UserMessage
from abmkpi.vocabulary import N_

# The KPI modules load Ibis, DuckDB and NumPy, so the commands import them
# when they run, and 'abmkpi --help' starts without them.
if TYPE_CHECKING:
    from abmkpi.metrics.compute import KpiReport
    from abmkpi.periods import Period
    from abmkpi.workspace import Workspace

KPI_COLUMNS = [
    "id",
    "variant",
    "segment",
    "label_en",
    "label_ja",
    "value",
    "numerator",
    "denominator",
    "ci95_low",
    "ci95_high",
    "target",
    "paced_target",
    "status",
    "unit",
    "details",
]


def _parse_now(text: str | None, option: str = "--as-of") -> datetime | None:
    """Parse an instant option (--as-of, or --now of 'schedule'): an ISO
    instant, UTC unless it carries an offset. Errors name ``option``."""
    from abmkpi.periods import MAX_YEAR, MIN_YEAR

    if text is None:
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        message = UserMessage(
            "%(text)r is not an ISO date or date-time, such as 2024-06-30T14:59:00Z",
            text=text,
        )
        raise typer.BadParameter(say(message), param_hint=option) from error
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        message = UserMessage(
            "%(text)r is outside the supported years %(min)s to %(max)s",
            text=text,
            min=MIN_YEAR,
            max=MAX_YEAR,
        )
        raise typer.BadParameter(say(message), param_hint=option)
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return instant


@app.command()
def kpi(
    period: str = typer.Option(
        "this-quarter",
        "--period",
        "-p",
        help="FY2024, FY2024-Q1, 2024-05, 2024-W18, A..B.",
    ),
    segment: list[str] = typer.Option(
        [],
        "--segment",
        "-s",
        help="all, target, non-target, tier:N or account:ID (repeatable).",
    ),
    kpi_id: list[str] = typer.Option(
        [], "--kpi", help="Only these KPI ids (repeatable)."
    ),
    as_of: str | None = typer.Option(
        None,
        help="Compute as if it were this UTC instant (ISO), for reproducible runs.",
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Compute the marketing, sales and customer-success KPIs of a period."""
    from abmkpi.metrics.context import parse_segment
    from abmkpi.metrics.registry import DEFINITIONS

    workspace = load_workspace()
    chosen = workspace.calendar.parse(period)
    try:
        segments = [parse_segment(text).id for text in segment] or None
    except ValueError as error:
        raise bad_parameter(error, {}, "--segment") from error
    only = list(dict.fromkeys(kpi_id))
    for name in only:
        if name not in DEFINITIONS:
            message = UserMessage(
                "unknown KPI %(kpi)r; known: %(known)s",
                kpi=name,
                known=", ".join(DEFINITIONS),
            )
            raise typer.BadParameter(say(message), param_hint="--kpi")
    show_kpis(workspace, chosen, segments, output, only, _parse_now(as_of))


def show_kpis(
    workspace: Workspace,
    period: Period,
    segments: list[str] | None,
    output: OutputFormat,
    only: list[str] | None = None,
    now: datetime | None = None,
) -> KpiReport:
    from abmkpi.metrics.compute import compute_kpis

    with workspace.open_store(read_only=True) as store:
        report = compute_kpis(store, workspace.settings, period, segments, now)
    if only:
        report.results = [r for r in report.results if r.id in only]
    for note in report.notes:
        errors.print(say(UserMessage("note: %(note)s", note=note)))
    if output == OutputFormat.JSON:
        print_json(report.to_dict())
    elif output == OutputFormat.CSV:
        print_csv(KPI_COLUMNS, (_csv_row(r.to_dict()) for r in report.results))
    else:
        _print_kpi_table(workspace, report)
    return report


def _csv_row(document: dict[str, Any]) -> dict[str, Any]:
    interval = document.get("ci95") or [None, None]
    return {
        **document,
        "ci95_low": interval[0],
        "ci95_high": interval[1],
        "label_en": document["label"]["en"],
        "label_ja": document["label"]["ja"],
        "details": json.dumps(document.get("details") or {}, ensure_ascii=False),
    }


def _print_kpi_table(workspace: Workspace, report: KpiReport) -> None:
    """Print one row per KPI: per segment its value with status and, when any
    KPI of that segment has a target, the segment's own goal beside it."""
    from abmkpi.cli.labels import Labels
    from abmkpi.formatting import format_interval, format_status, format_value
    from abmkpi.i18n import translate

    t = Labels.of(workspace)
    lang = t.language
    currency = report.currency
    segments = report.segments
    title = f"{report.period_label[lang]} ({report.period.start} – {report.period.end})"
    if report.as_of.date() < report.period.end:
        as_of = t("as of %(time)s", time=t.instant(report.as_of))
        title += f", {as_of} ({t.zone_name})"
    rows: dict[str, dict[str, Any]] = {}
    for result in report.results:
        row = rows.setdefault(result.key, {"cells": {}, "goals": {}})
        cell = format_value(result.value, result.unit, currency, lang)
        if result.status.value in (
            "on_track",
            "at_risk",
            "off_track",
            "insufficient_data",
        ):
            cell += f" ({format_status(result.status.value, lang)})"
        row["cells"][result.segment] = cell
        row["goals"][result.segment] = _goal_text(result, currency, lang)
        row.setdefault("first", result)
        if result.segment == segments[0]:
            row["first"] = result

    with_goals = {
        segment
        for entry in rows.values()
        for segment, goal in entry["goals"].items()
        if goal
    }
    header = ["KPI"]
    for segment in segments:
        header.append(segment_label(segment, lang))
        if segment in with_goals:
            header.append(f"{translate('goal', lang)} ({segment_label(segment, lang)})")
    header.append(f"95% CI ({segment_label(segments[0], lang)})")

    table_rows = []
    for entry in rows.values():
        first = entry["first"]
        cells = [first.label[lang]]
        for segment in segments:
            cells.append(entry["cells"].get(segment, ""))
            if segment in with_goals:
                cells.append(entry["goals"].get(segment, ""))
        cells.append(format_interval(first, currency, lang))
        table_rows.append(cells)
    print_table(title, header, table_rows, right=range(1, len(header)))


def segment_label(segment: str, language: str) -> str:
    """Return a readable segment name: 'tier 1', 'non-target', 'ターゲット'."""
    from abmkpi.i18n import translate

    if segment.startswith("tier:"):
        number = segment.split(":", 1)[1]
        return f"ティア{number}" if language == "ja" else f"tier {number}"
    if segment.startswith("account:"):
        return segment.split(":", 1)[1]
    return translate(segment.replace("_", "-"), language)


def _goal_text(result: Any, currency: str, language: str) -> str:
    from abmkpi.formatting import format_value
    from abmkpi.i18n import translate

    if result.target is None:
        return ""
    text = format_value(result.target, result.unit, currency, language)
    if result.paced_target is not None:
        paced = format_value(result.paced_target, result.unit, currency, language)
        text += f" ({translate('paced', language)} {paced})"
    return text


# Labels of the --sort keys of 'abmkpi accounts', for the table's title.
SORT_LABELS = {
    "score": N_("score"),
    "name": N_("name"),
    "tier": N_("tier"),
    "stage": N_("stage"),
    "pipeline": N_("pipeline"),
    "won": N_("won amount"),
    "people": N_("engaged people"),
}

ACCOUNT_COLUMNS = [
    "id",
    "source_id",
    "name",
    "seg",
    "tier",
    "journey_stage",
    "score",
    "peak_score",
    "engaged_people",
    "engaged_decision_maker",
    "open_pipeline",
    "open_pipeline_expansion_renewal",
    "won_amount",
    "owner",
    "fit_grade",
]


@app.command()
def accounts(
    period: str = typer.Option(
        "this-quarter", "--period", "-p", help="Period of the facts."
    ),
    sort: str = typer.Option(
        "score", help="Sort by score, name, tier, stage, pipeline, won or people."
    ),
    limit: int = typer.Option(50, min=0, help="Rows to show; 0 for all."),
    targets_only: bool = typer.Option(False, "--targets", help="Only target accounts."),
    as_of: str | None = typer.Option(
        None, help="Compute as of this UTC instant (ISO)."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """List accounts with engagement score, journey stage and pipeline."""
    from abmkpi.metrics.accounts import list_accounts

    workspace = load_workspace()
    chosen = workspace.calendar.parse(period)
    with workspace.open_store(read_only=True) as store:
        try:
            rows = list_accounts(
                store,
                workspace.settings,
                chosen,
                sort,
                limit or None,
                targets_only,
                _parse_now(as_of),
            )
        except ValueError as error:
            raise typer.BadParameter(str(error)) from error
    if output == OutputFormat.JSON:
        print_json(
            {
                "period": chosen.id,
                "accounts": [{k: r.get(k) for k in ACCOUNT_COLUMNS} for r in rows],
            }
        )
        return
    if output == OutputFormat.CSV:
        print_csv(ACCOUNT_COLUMNS, rows)
        return
    _print_accounts(workspace, chosen, sort, rows)


def _print_accounts(
    workspace: Workspace, period: Period, sort: str, rows: list[dict[str, Any]]
) -> None:
    from abmkpi.cli.labels import Labels

    t = Labels.of(workspace)
    title = t(
        "Accounts, %(period)s (sorted by %(sort)s)",
        period=workspace.calendar.label(period, t.language),
        sort=t(SORT_LABELS.get(sort, sort)),
    )
    print_table(
        title,
        [
            t("ID"),
            t("Account"),
            t("Tier"),
            t("Journey stage"),
            t("Score"),
            t("Engaged people"),
            t("Open pipeline (new business)"),
            t("Open pipeline (expansion, renewal)"),
            t("Won to date"),
        ],
        (
            [
                r["id"],
                r["name"],
                r["tier"] or "",
                t.term("journey", r["journey_stage"]),
                f"{r['score']:.1f}",
                r["engaged_people"],
                t.money(r.get("open_pipeline")),
                t.money(r.get("open_pipeline_expansion_renewal")),
                t.money(r.get("won_amount")),
            ]
            for r in rows
        ),
        right=(2, 4, 5, 6, 7, 8),
    )


@app.command()
def account(
    account_id: str = typer.Argument(
        ..., help="Account id (canonical or source id) or exact name."
    ),
    period: str = typer.Option(
        "this-quarter", "--period", "-p", help="Period of the facts."
    ),
    top: int = typer.Option(10, min=1, help="Top contributing activities to show."),
    as_of: str | None = typer.Option(
        None, help="Compute as of this UTC instant (ISO)."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Show one account: score and why, timeline, people and opportunities."""
    from abmkpi.metrics.accounts import account_detail

    workspace = load_workspace()
    chosen = workspace.calendar.parse(period)
    with workspace.open_store(read_only=True) as store:
        detail = account_detail(
            store, workspace.settings, account_id, chosen, _parse_now(as_of), top
        )
    if output != OutputFormat.TABLE:
        print_json(detail.to_dict())
        return
    from abmkpi.cli.account_output import print_account

    print_account(workspace, detail)
