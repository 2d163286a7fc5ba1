"""Commands for the monitoring report packs: report and schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from abmkpi.cli import app, console, errors, say, state
from abmkpi.cli.common import (
    OutputFormat,
    language,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.cli.labels import Labels
from abmkpi.cli.reports import _parse_now
from abmkpi.errors import UserMessage

if TYPE_CHECKING:
    from abmkpi.reports.pack import ReportPack
    from abmkpi.reports.runs import ReportFile
    from abmkpi.store.database import Store
    from abmkpi.workspace import Workspace

CADENCES = ("weekly", "monthly", "quarterly")
FILE_FORMATS = ("html", "xlsx", "pdf")


def _check_cadence(value: str) -> str:
    if value not in CADENCES:
        raise typer.BadParameter(
            f"{value!r} is not a report cadence; use weekly, monthly or quarterly"
        )
    return value


def _check_formats(values: list[str]) -> list[str]:
    for value in values:
        if value not in FILE_FORMATS:
            raise typer.BadParameter(
                f"{value!r} is not a report format; use html, xlsx or pdf"
            )
    return list(dict.fromkeys(values))


def _check_language(value: str | None) -> str | None:
    if value is not None and value not in ("ja", "en"):
        raise typer.BadParameter(f"{value!r} is not a language; use ja or en")
    return value


@app.command()
def report(
    cadence: str = typer.Argument(
        ..., help="weekly, monthly or quarterly.", callback=_check_cadence
    ),
    period: str | None = typer.Option(
        None,
        "--period",
        "-p",
        help="Period of the pack (default: the last complete week, month or fiscal "
        "quarter).",
    ),
    lang: str | None = typer.Option(
        None,
        "--lang",
        help="Language of the pack: ja or en (default: the workspace's).",
        callback=_check_language,
    ),
    formats: list[str] = typer.Option(
        [],
        "--format",
        "-f",
        help="html, xlsx or pdf (repeatable; default: reports.formats).",
        callback=_check_formats,
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="File to write (one format) or folder (default: the workspace's "
        "reports folder).",
    ),
    as_of: str | None = typer.Option(
        None, help="Compute as if it were this UTC instant (ISO)."
    ),
    scheduled: bool = typer.Option(
        False, "--scheduled", help="Record the run as scheduled (for crontab lines)."
    ),
    send: bool = typer.Option(
        False, "--send", help="Send the pack through the notification channels."
    ),
) -> None:
    """Write the weekly, monthly or quarterly report pack (HTML, XLSX, PDF)."""
    from abmkpi.periods import business_date
    from abmkpi.reports.cadence import Cadence, last_complete_period
    from abmkpi.reports.pack import build_pack
    from abmkpi.reports.runs import Trigger, generate, output_paths
    from abmkpi.usage import utc_now

    # The pack's --lang also sets the language of this command's warnings.
    state.command_language = lang
    workspace = load_workspace()
    settings = workspace.settings
    chosen_cadence = Cadence(cadence)
    now = _parse_now(as_of)
    calendar = workspace.calendar
    if period is None:
        today = business_date(now or utc_now(), settings.workspace.time_zone)
        chosen = last_complete_period(calendar, chosen_cadence, today)
    else:
        chosen = calendar.parse(period)
    pack_language = lang or language(workspace)
    paths = output_paths(
        output,
        workspace.root / settings.reports.output_dir,
        chosen_cadence,
        chosen,
        pack_language,
        formats or list(settings.reports.formats),
    )
    trigger = Trigger.SCHEDULE if scheduled else Trigger.MANUAL
    with workspace.open_store() as store:
        pack = build_pack(store, settings, calendar, chosen_cadence, chosen, now)
        written = generate(store, pack, calendar, pack_language, paths, trigger)
        if send:
            _send(store, workspace, pack, written)
    _print_timing(pack, Labels.of(workspace))
    for note in pack.report.notes:
        errors.print(say(UserMessage("note: %(note)s", note=note)))
    _print_written(written, Labels.of(workspace))


def _print_timing(pack: ReportPack, t: Labels) -> None:
    """Warn on stderr when the pack's period has not started or not ended."""
    from abmkpi.reports.pack import PeriodTiming

    period = pack.period
    if pack.timing == PeriodTiming.FUTURE:
        message = UserMessage(
            "warning: period %(period)s has not started (it starts on "
            "%(start)s), so the pack has no data for it yet",
            period=period.id,
            start=period.start,
        )
        errors.print(say(message))
    elif pack.timing == PeriodTiming.RUNNING:
        message = UserMessage(
            "note: period %(period)s is still running (it ends on %(end)s); the "
            "pack covers it to date, as of %(as_of)s (%(zone)s)",
            period=period.id,
            end=period.end,
            as_of=t.instant(pack.as_of),
            zone=t.zone_name,
        )
        errors.print(say(message))


def _send(
    store: Store, workspace: Workspace, pack: ReportPack, written: list[ReportFile]
) -> None:
    """Queue the pack on the webhook and e-mail, then send what is due."""
    from abmkpi.notify import deliver_due
    from abmkpi.reports.send import send_pack

    settings = workspace.settings
    ids = send_pack(store, settings, workspace.calendar, pack, written)
    if not ids:
        message = UserMessage(
            "note: the pack was not sent because [notify] sets no webhook or "
            "e-mail; set notify.webhook.url or notify.email"
        )
        errors.print(say(message))
        return
    run = deliver_due(store, settings, workspace.root)
    console.print(Labels.of(workspace).deliveries(run))


def _print_written(written: list[ReportFile], t: Labels) -> None:
    for item in written:
        message = t(
            "wrote %(format)s (%(language)s): %(path)s",
            format=item.format,
            language=item.language,
            path=item.path,
        )
        console.print(message)


SCHEDULE_COLUMNS = ["cadence", "cron", "time_zone", "next_run", "last_run", "due"]


@app.command()
def schedule(
    print_crontab: bool = typer.Option(
        False, "--print-crontab", help="Print crontab lines that write each pack."
    ),
    run_due: bool = typer.Option(
        False, "--run-due", help="Write the packs that are due now."
    ),
    now_text: str | None = typer.Option(
        None,
        "--now",
        help="Act as if it were this instant (ISO; UTC unless it has an offset).",
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Show when each report pack is due, print crontab lines, or run due packs."""
    from abmkpi.reports.runs import Trigger, last_runs
    from abmkpi.reports.schedule import crontab_text
    from abmkpi.usage import utc_now

    workspace = load_workspace()
    now = _parse_now(now_text, "--now") or utc_now()
    if print_crontab:
        console.print(crontab_text(workspace.settings, workspace.root), end="")
        return
    if run_due:
        from abmkpi.reports.scheduler import run_due as write_due
        from abmkpi.reports.scheduler import single_store

        with workspace.open_store() as store:
            access = single_store(store)
            written = write_due(workspace, access, access, now)
            if written and workspace.settings.reports.send:
                from abmkpi.notify import deliver_due

                run = deliver_due(store, workspace.settings, workspace.root)
                console.print(Labels.of(workspace).deliveries(run))
        t = Labels.of(workspace)
        if not written:
            console.print(t("no report pack is due"))
        _print_written(written, t)
        return
    with workspace.open_store(read_only=True) as store:
        last = last_runs(store, Trigger.SCHEDULE)
    _print_schedule(_schedule_rows(workspace, last, now), output, workspace)


def _schedule_rows(
    workspace: Any, last: dict[str, datetime], now: datetime
) -> list[dict[str, Any]]:
    from abmkpi.reports.schedule import cron_lines, due_runs, next_fire

    settings = workspace.settings
    zone = settings.workspace.time_zone
    due = {run.cadence for run in due_runs(settings, workspace.calendar, last, now)}
    rows = []
    for cadence, line in cron_lines(settings).items():
        previous = last.get(str(cadence))
        rows.append(
            {
                "cadence": str(cadence),
                "cron": line,
                "time_zone": zone,
                "next_run": next_fire(line, now, zone).isoformat(),
                "last_run": previous.replace(tzinfo=UTC).isoformat()
                if previous
                else None,
                "due": cadence in due,
            }
        )
    return rows


def _print_schedule(
    rows: list[dict[str, Any]], output: OutputFormat, workspace: Workspace
) -> None:
    if output == OutputFormat.JSON:
        print_json({"schedule": rows})
        return
    if output == OutputFormat.CSV:
        print_csv(SCHEDULE_COLUMNS, rows)
        return
    t = Labels.of(workspace)
    print_table(
        t("Report schedule"),
        [
            t("Cadence"),
            "cron",
            t("Time zone"),
            t("Next run"),
            t("Last scheduled run"),
            t("Due now"),
        ],
        (
            [
                t.term("cadence", row["cadence"]),
                row["cron"],
                row["time_zone"],
                t.instant(row["next_run"]),
                t.instant(row["last_run"]) or t("never"),
                t.yes(row["due"]),
            ]
            for row in rows
        ),
    )
