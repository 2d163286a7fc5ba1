"""Commands that bring data in and prepare it: import, match, targets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from abmkpi.cli import app, console, errors, say
from abmkpi.cli.common import (
    OutputFormat,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.cli.labels import Labels
from abmkpi.errors import AbmkpiError, MessageText, UserMessage, render
from abmkpi.progress import listening
from abmkpi.vocabulary import N_

if TYPE_CHECKING:
    from abmkpi.sources.base import ImportOptions
    from abmkpi.sources.detection import Detection
    from abmkpi.sources.loader import ImportSummary
    from abmkpi.store.database import Store
    from abmkpi.workspace import Workspace


TARGET_MODES = {
    "list": N_("from a list"),
    "icp": N_("from the ICP rules"),
    "none": N_("none set"),
}

IMPORT_HEADERS = {
    "file": N_("File"),
    "object": N_("Object"),
    "read": N_("Read"),
    "new": N_("New"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "deleted": N_("Deleted"),
    "skipped": N_("Skipped"),
    "rejected": N_("Rejected"),
}


def _parse_date_formats(values: list[str]) -> dict[str, str]:
    from abmkpi.sources.dates import NAMED_FORMATS

    formats = {}
    for value in values:
        column, separator, date_format = value.rpartition("=")
        if not separator or not column.strip():
            raise typer.BadParameter(
                f"{value!r}: write COLUMN=FORMAT, for example 'Close Date=MM/DD/YYYY'",
                param_hint="--date-format",
            )
        if date_format.strip().upper() not in NAMED_FORMATS:
            raise typer.BadParameter(
                f"{value!r}: unknown date format {date_format.strip()!r}; use one "
                f"of {', '.join(NAMED_FORMATS)}",
                param_hint="--date-format",
            )
        formats[column.strip()] = date_format.strip()
    return formats


def _check_encoding_option(value: str | None) -> str | None:
    from abmkpi.sources.csvfile import check_encoding

    if value is None:
        return None
    try:
        check_encoding(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    return value


def _check_date_formats_used(options: ImportOptions) -> None:
    """Raise when a --date-format names a column that no file has as a date."""
    unused = options.unused_date_formats()
    if not unused:
        return
    found = ", ".join(sorted(options.date_format_use.date_columns)) or "none"
    raise typer.BadParameter(
        f"no file has a date column named {', '.join(map(repr, unused))}; date "
        f"columns found: {found}. Nothing was imported.",
        param_hint="--date-format",
    )


@app.command("import")
def import_files(
    arguments: list[str] = typer.Argument(
        ...,
        metavar="[SOURCE] PATH...",
        help="Files or folders, optionally after their source: salesforce, "
        "hubspot, marketo, pardot, mautic or csv. Without a source it is "
        "detected from the files' names and headers.",
    ),
    source: str | None = typer.Option(
        None,
        "--source",
        help="Source of the files, as an option; default: detected, or csv "
        "when --mapping is given.",
    ),
    mapping: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="Mapping file for the csv source."
    ),
    encoding: str | None = typer.Option(
        None,
        help="Encoding of every file (utf-8, utf-8-sig, cp932); default: detect.",
        callback=_check_encoding_option,
    ),
    date_format: list[str] = typer.Option(
        [], "--date-format", help="Declare a date column's format: 'COLUMN=MM/DD/YYYY'."
    ),
    max_rejects: int = typer.Option(
        0, min=0, help="Invalid rows to set aside in a reject file before failing."
    ),
    dry_run: bool = typer.Option(False, help="Check and count, but store nothing."),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Import export files atomically: all rows of all files, or nothing."""
    from abmkpi.sources.base import ImportOptions
    from abmkpi.sources.detection import detect_source
    from abmkpi.sources.loader import load_batch
    from abmkpi.sources.registry import get_importer

    workspace = load_workspace()
    source, paths = _source_and_paths(arguments, source, mapping)
    detection: Detection | None = None
    if source is None:
        detection = detect_source(paths, encoding)
        errors.print(say(detection.message()), highlight=False)
        source = detection.source
    importer = get_importer(source)
    options = ImportOptions(
        encoding=encoding,
        date_formats=_parse_date_formats(date_format),
        max_rejects=max_rejects,
        mapping=mapping,
        dry_run=dry_run,
    )
    with (
        workspace.open_store() as store,
        ImportProgress(paths, source) as progress,
        listening(progress.advance),
    ):
        batch = importer.read(paths, workspace.settings, options)
        _check_date_formats_used(options)
        progress.start_writing(len(batch.records))
        summary = load_batch(workspace, store, batch, options)
        if not dry_run:
            run_handoffs_after_import(workspace, store)
    _print_import_summary(workspace, summary, output, detection)


def run_handoffs_after_import(workspace: Workspace, store: Store) -> None:
    """Record new MQA handoffs, check SLAs and send due notifications.

    A failure is logged as a warning and leaves the committed import alone.
    """
    from abmkpi.handoff.run import run_after_import

    run = run_after_import(store, workspace.settings, workspace.root)
    if run is not None and (run.created or run.breached or run.followed_up):
        t = Labels.of(workspace)
        errors.print(t("handoffs: %(summary)s", summary=t.handoff_run(run)))
    if run is not None and run.backfilled:
        t = Labels.of(workspace)
        errors.print(
            t(
                "handoffs: %(count)s crossed the MQA threshold more than %(days)s "
                "days ago and are recorded as backfilled, without a notice each; "
                "list them with 'abmkpi handoff list --status backfilled'",
                count=format(len(run.backfilled), ","),
                days=workspace.settings.handoff.backfill_days,
            )
        )


def _source_and_paths(
    arguments: list[str], option: str | None, mapping: Path | None
) -> tuple[str | None, list[Path]]:
    """Split the arguments into the source, if named, and the paths.

    The first argument is the source when it is a source name and either more
    arguments follow or no file of that name exists.
    """
    from abmkpi.sources.registry import IMPORTERS

    first = arguments[0]
    named = first.strip().lower() in IMPORTERS
    if option is None and named and (len(arguments) > 1 or not Path(first).exists()):
        option, arguments = first.strip().lower(), arguments[1:]
    if not arguments:
        message = UserMessage("give at least one file or folder to import")
        raise typer.BadParameter(say(message), param_hint="PATH")
    missing = [argument for argument in arguments if not Path(argument).exists()]
    if missing:
        message = UserMessage(
            "file or folder not found: %(paths)s", paths=", ".join(missing)
        )
        raise typer.BadParameter(say(message), param_hint="PATH")
    if mapping is not None and option not in (None, "csv"):
        message = UserMessage(
            "--mapping applies only to the csv source, not %(source)s",
            source=option,
        )
        raise typer.BadParameter(say(message), param_hint="--mapping")
    if option is None and mapping is not None:
        option = "csv"
    return option, [Path(argument) for argument in arguments]


class ImportProgress:
    """Progress bars for reading files, writing tables and recomputing matches."""

    _DERIVE_STEPS = 4  # personas, matching, amounts, targets

    def __init__(self, paths: list[Path], source: str):
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
            transient=True,
        )
        from abmkpi.sources.csvfile import expand_paths

        try:
            total = len(expand_paths(list(paths)))
        except AbmkpiError:
            total = None
        self._read = self._bars.add_task(f"reading {source} files", total=total)
        self._write: TaskID | None = None
        self._derive: TaskID | None = None

    def __enter__(self) -> ImportProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bars.stop()

    def start_writing(self, records: int) -> None:
        self._write = self._bars.add_task(f"writing {records:,} records", total=None)
        self._derive = self._bars.add_task("matching", total=self._DERIVE_STEPS)

    def advance(self, step: str, detail: str) -> None:
        task = {"read": self._read, "write": self._write, "derive": self._derive}.get(
            step
        )
        if task is not None:
            self._bars.advance(task)


def _print_import_summary(
    workspace: Workspace,
    summary: ImportSummary,
    output: OutputFormat,
    detection: Detection | None,
) -> None:
    rows: list[dict[str, Any]] = [
        {
            "file": str(item.path),
            "object": item.object,
            "encoding": item.encoding,
            "read": item.rows_read,
            "new": item.loaded,
            "updated": item.updated,
            "unchanged": item.unchanged,
            "deleted": item.deleted,
            "skipped": item.skipped_total,
            "rejected": item.rejected,
            "skipped_reasons": {
                str(reason): count for reason, count in item.skipped.items()
            },
            "notes": [str(note) for note in item.notes],
        }
        for item in summary.files
    ]
    if output == OutputFormat.JSON:
        print_json(
            {
                "import_id": summary.import_id,
                "source": summary.source_system,
                "detected": detection.to_dict() if detection else None,
                "dry_run": summary.dry_run,
                "reject_file": summary.reject_file,
                "files": rows,
                "summary": summary.describe(),
            }
        )
        return
    columns = [
        "file",
        "object",
        "read",
        "new",
        "updated",
        "unchanged",
        "deleted",
        "skipped",
        "rejected",
    ]
    if output == OutputFormat.CSV:
        print_csv(columns, rows)
        return
    t = Labels.of(workspace)
    if summary.import_id:
        title = t(
            "Import %(id)s from %(source)s",
            id=summary.import_id,
            source=t.term("source_system", summary.source_system),
        )
    else:
        title = t(
            "Import check (dry run) of %(source)s files",
            source=t.term("source_system", summary.source_system),
        )
    print_table(
        title,
        [t(IMPORT_HEADERS[column]) for column in columns],
        ([Path(row["file"]).name, *[row[c] for c in columns[1:]]] for row in rows),
        right=range(2, len(columns)),
    )
    for item in summary.files:
        name = item.path.name
        for reason, count in item.skipped.items():
            skipped = t(
                "skipped %(count)s (%(reason)s)",
                count=count,
                reason=_message_text(reason, t),
            )
            console.print(f"  {name}: {skipped}")
        for note in item.notes:
            console.print(f"  {name}: {_message_text(note, t)}")
    console.print(_summary_text(summary, t))
    _print_currency_warnings(summary.derived)
    print_merge_warning(summary.derived)


def _message_text(text: MessageText, t: Labels) -> str:
    """Return a skip reason or note in the output language.

    A plain string is looked up in the catalog as it is, so fixed reasons
    translate too."""
    return render(text, t.language) if isinstance(text, UserMessage) else t(text)


def _summary_text(summary: ImportSummary, t: Labels) -> str:
    """Return the import's totals in the output language, as
    ``ImportSummary.describe`` writes them in English."""
    counts = {
        key: f"{summary.total(key):,}"
        for key in (
            "rows_read",
            "loaded",
            "updated",
            "unchanged",
            "deleted",
            "skipped",
            "rejected",
        )
    }
    text = t(
        "read %(rows_read)s rows: %(loaded)s new, %(updated)s updated, "
        "%(unchanged)s unchanged, %(deleted)s deleted, %(skipped)s skipped, "
        "%(rejected)s rejected",
        **counts,
    )
    if summary.reject_file:
        text += "; " + t("see %(file)s", file=summary.reject_file)
    if summary.dry_run:
        text += " " + t("(dry run: nothing was stored)")
    return text


def print_merge_warning(derived: dict[str, Any]) -> None:
    """Warn about merges that could not be applied as the source states them."""
    counts = derived.get("merges") or {}
    if not counts:
        return
    kinds = ", ".join(f"{count:,} {kind}" for kind, count in sorted(counts.items()))
    message = UserMessage(
        "warning: %(count)s merges could not be applied as the source states "
        "them (%(kinds)s); 'abmkpi match --report' lists them",
        count=format(sum(counts.values()), ","),
        kinds=kinds,
    )
    errors.print(say(message))


def _print_currency_warnings(derived: dict[str, Any]) -> None:
    for conflict in (derived.get("fx") or {}).get("rate_conflicts") or []:
        message = UserMessage(
            "warning: several exchange rates for %(conflict)s; remove the rate "
            "you do not want and run 'abmkpi match'",
            conflict=conflict,
        )
        errors.print(say(message))
    assumed = (derived.get("fx") or {}).get("currency_assumed") or {}
    for source, count in assumed.items():
        message = UserMessage(
            "warning: %(count)s %(source)s opportunities name no currency and are "
            "taken as the reporting currency; if the %(source)s org uses another "
            "one, set [sources.%(source)s] currency and run 'abmkpi match'",
            count=format(count, ","),
            source=source,
        )
        errors.print(say(message))


@app.command()
def match(
    report: bool = typer.Option(
        False, "--report", help="Show the match report per source."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Recompute account matches, personas, targets and converted amounts."""
    from abmkpi.derive import refresh
    from abmkpi.matching.report import build_match_report

    workspace = load_workspace()
    with workspace.open_store() as store:
        with console.status("matching…"):
            derived = refresh(store, workspace.settings, workspace.root)
        run_handoffs_after_import(workspace, store)
        _print_currency_warnings(derived)
        print_merge_warning(derived)
        if not report:
            t = Labels.of(workspace)
            console.print(t("recomputed matches, personas, targets and amounts"))
            return
        match_report = build_match_report(store)
    if output == OutputFormat.JSON:
        print_json(match_report.to_dict())
        return
    from abmkpi.cli.match_output import print_match_report

    print_match_report(match_report, output, Labels.of(workspace))


targets_app = typer.Typer(
    help="Target accounts (show, set from a file, icp, clear) and, under "
    "'targets kpi', KPI targets per period."
)
app.add_typer(targets_app, name="targets")


@targets_app.callback(invoke_without_command=True)
def targets_show(
    context: typer.Context,
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Show the target accounts with tier and ICP fit."""
    if context.invoked_subcommand is not None:
        return
    from abmkpi import targets

    workspace = load_workspace()
    with workspace.open_store() as store:
        report = targets.apply(store, workspace.settings)
    _print_targets(workspace, report, output)


@targets_app.command("set")
def targets_set(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="CSV with id, name or domain (and tier) columns, or one entry per line.",
    ),
    tier: int = typer.Option(
        1, min=1, max=99, help="Tier (1-99) for entries without a tier column."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Set the target list from a file of account ids, names or domains."""
    from abmkpi import targets

    workspace = load_workspace()
    entries = targets.read_target_file(file, default_tier=tier)
    with workspace.open_store() as store:
        report = targets.set_list(store, workspace.settings, entries)
    _print_targets(workspace, report, output)


@targets_app.command("icp")
def targets_icp(
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Make accounts that meet the config's ICP rules the targets."""
    from abmkpi import targets

    workspace = load_workspace()
    if not workspace.settings.icp.rules:
        raise AbmkpiError(
            f"no ICP rules in {workspace.config_path}; add [[icp.rules]] entries, "
            'for example field = "employees", op = ">=", value = 8000'
        )
    with workspace.open_store() as store:
        report = targets.set_from_icp(store, workspace.settings)
    _print_targets(workspace, report, output)


@targets_app.command("clear")
def targets_clear() -> None:
    """Remove every target account."""
    from abmkpi import targets

    workspace = load_workspace()
    with workspace.open_store() as store:
        targets.clear(store, workspace.settings)
    t = Labels.of(workspace)
    console.print(t("target list cleared"))


def _print_targets(workspace: Workspace, report: object, output: OutputFormat) -> None:
    from abmkpi.targets import TargetReport

    assert isinstance(report, TargetReport)
    document = {
        "mode": report.mode,
        "targets": report.targets,
        "unresolved": [vars(entry) for entry in report.unresolved],
        "ambiguous": [
            {**vars(entry), "candidates": candidates}
            for entry, candidates in report.ambiguous
        ],
        "warnings": [str(warning) for warning in report.warnings],
    }
    if output == OutputFormat.JSON:
        print_json(document)
        return
    columns = ["id", "source_id", "name", "tier", "fit_score", "fit_grade"]
    if output == OutputFormat.CSV:
        print_csv(columns, report.targets)
        return
    t = Labels.of(workspace)
    print_table(
        t(
            "%(count)s target accounts (%(mode)s)",
            count=len(report.targets),
            mode=t(TARGET_MODES.get(report.mode, report.mode)),
        ),
        [t("ID"), t("Account"), t("Tier"), t("Fit"), t("Grade")],
        (
            [
                target["id"],
                target["name"],
                target["tier"],
                target["fit_score"],
                target["fit_grade"],
            ]
            for target in report.targets
        ),
    )
    for entry in report.unresolved:
        message = UserMessage(
            "warning: target %(kind)s %(entry)r matches no account",
            kind=entry.kind,
            entry=entry.entry,
        )
        errors.print(say(message))
    for entry, candidates in report.ambiguous:
        message = UserMessage(
            "warning: target %(kind)s %(entry)r matches several accounts "
            "(%(candidates)s); use an id",
            kind=entry.kind,
            entry=entry.entry,
            candidates=", ".join(candidates),
        )
        errors.print(say(message))
    for warning in report.warnings:
        errors.print(say(UserMessage("warning: %(warning)s", warning=warning)))
