"""The ``abmkpi journey`` command: journey stages on two dates and who moved."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from abmkpi.cli import app, console, say
from abmkpi.cli.common import (
    OutputFormat,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.cli.labels import Labels
from abmkpi.errors import UserMessage
from abmkpi.vocabulary import N_

if TYPE_CHECKING:
    from abmkpi.metrics.journey import JourneyProgress

MOVES_SUMMARY = N_("%(up)s up, %(down)s down, %(stayed)s stayed")

MOVE_COLUMNS = ["account_id", "name", "tier", "from_stage", "to_stage", "direction"]


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from abmkpi.periods import MAX_YEAR, MIN_YEAR

    try:
        day = date.fromisoformat(text.strip())
    except ValueError as error:
        message = UserMessage(
            "invalid date %(text)r; write YYYY-MM-DD, such as 2024-06-30", text=text
        )
        raise typer.BadParameter(say(message), param_hint=option) from error
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
        _print_progress(progress, Labels.of(workspace))


def _print_progress(progress: JourneyProgress, t: Labels) -> None:
    before = progress.counts("from")
    after = progress.counts("to")
    from_date, to_date = t.date(progress.from_date), t.date(progress.to_date)
    print_table(
        f"{t.term('segment', progress.segment)}: {from_date} → {to_date}",
        [t("Journey stage"), from_date, to_date, "±"],
        (
            [
                t.term("journey", stage),
                before[stage],
                after[stage],
                f"{after[stage] - before[stage]:+d}",
            ]
            for stage in before
        ),
        right=[1, 2, 3],
    )
    counts = {
        "up": len(progress.moved("up")),
        "down": len(progress.moved("down")),
        "stayed": len(progress.moved("stayed")),
    }
    console.print(t(MOVES_SUMMARY, **counts))
    if progress.movers:
        print_table(
            t("Accounts that changed stage"),
            [t("ID"), t("Account"), t("Tier"), from_date, to_date],
            (
                [
                    move.account_id,
                    move.name,
                    move.tier,
                    t.term("journey", move.from_stage),
                    t.term("journey", move.to_stage),
                ]
                for move in progress.movers
            ),
        )
