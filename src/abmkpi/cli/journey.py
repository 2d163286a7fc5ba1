"""The ``abmkpi journey`` command: journey stages on two dates and who moved."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from abmkpi.cli import app, console
from abmkpi.cli.common import (
    OutputFormat,
    language,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from abmkpi.metrics.journey import JourneyProgress

MOVES_SUMMARY = "%(up)s up, %(down)s down, %(stayed)s stayed"

MOVE_COLUMNS = ["account_id", "name", "tier", "from_stage", "to_stage", "direction"]


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from abmkpi.periods import MAX_YEAR, MIN_YEAR

    try:
        day = date.fromisoformat(text.strip())
    except ValueError as error:
        raise typer.BadParameter(
            f"invalid date {text!r}; write YYYY-MM-DD, such as 2024-06-30",
            param_hint=option,
        ) from error
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise typer.BadParameter(
            f"{text!r} is outside the supported years {MIN_YEAR} to {MAX_YEAR}",
            param_hint=option,
        )
    return day


@app.command()
def journey(
    from_text: str | None = typer.Option(
        None,
        "--from",
        help="First date (YYYY-MM-DD); default: the first day of this fiscal quarter.",
    ),
    to_text: str | None = typer.Option(
        None, "--to", help="Second date (YYYY-MM-DD); default: today."
    ),
    segment: str = typer.Option(
        "target",
        "--segment",
        "-s",
        help="Accounts to compare: target, all, non-target or tier:N.",
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Compare account journey stages on two dates: counts and movers."""
    from abmkpi.metrics.journey import journey_progress, today

    workspace = load_workspace()
    settings = workspace.settings
    to_date = _parse_date(to_text, "--to") or today(settings)
    from_date = _parse_date(from_text, "--from")
    if from_date is None:
        from_date = workspace.calendar.period_of("fiscal_quarter", to_date).start
    with workspace.open_store(read_only=True) as store:
        progress = journey_progress(store, settings, from_date, to_date, segment)
    if output == OutputFormat.JSON:
        print_json(progress.to_dict())
    elif output == OutputFormat.CSV:
        print_csv(MOVE_COLUMNS, (move.to_dict() for move in progress.accounts))
    else:
        _print_progress(progress, language(workspace))


def _print_progress(progress: JourneyProgress, lang: str) -> None:
    from abmkpi.cli.reports import segment_label
    from abmkpi.i18n import translate
    from abmkpi.web.pages.vocabulary import term_label

    def stage_label(stage: str) -> str:
        return translate(term_label("journey", stage), lang)

    before = progress.counts("from")
    after = progress.counts("to")
    print_table(
        f"{segment_label(progress.segment, lang)}: "
        f"{progress.from_date} → {progress.to_date}",
        [translate("Journey stage", lang), str(progress.from_date),
         str(progress.to_date), "±"],
        (
            [stage_label(stage), before[stage], after[stage],
             f"{after[stage] - before[stage]:+d}"]
            for stage in before
        ),
        right=[1, 2, 3],
    )  # fmt: skip
    counts = {
        "up": len(progress.moved("up")),
        "down": len(progress.moved("down")),
        "stayed": len(progress.moved("stayed")),
    }
    console.print(translate(MOVES_SUMMARY, lang) % counts)
    if progress.movers:
        print_table(
            translate("Accounts that changed stage", lang),
            ["id", "name", "tier", str(progress.from_date), str(progress.to_date)],
            (
                [move.account_id, move.name, move.tier,
                 stage_label(move.from_stage), stage_label(move.to_stage)]
                for move in progress.movers
            ),
        )  # fmt: skip
