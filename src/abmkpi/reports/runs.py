"""Writing a pack's files and recording each run in ``report_runs``.

Every file written is one row of ``report_runs`` (cadence, period,
language, format, path, trigger) and one ``report_generated`` usage event,
so diagnostics can tell whether the reviews happen.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from abmkpi.errors import ReportError
from abmkpi.periods import Calendar, Period
from abmkpi.reports.cadence import Cadence
from abmkpi.reports.pack import ReportPack
from abmkpi.staged_files import StagedFile
from abmkpi.store.database import Store
from abmkpi.usage import UsageKind, record_usage, utc_now

logger = logging.getLogger(__name__)

FORMATS = ("html", "xlsx", "pdf")


class Trigger(StrEnum):
    """The origin of a run: a person on the command line, or the schedule."""

    MANUAL = "manual"
    SCHEDULE = "schedule"


@dataclass(frozen=True)
class ReportFile:
    """One written file of a pack and its ``report_runs`` id."""

    run_id: int
    format: str
    language: str
    path: Path


def file_name(cadence: Cadence, period: Period, language: str, extension: str) -> str:
    """Return a pack's file name, such as ``weekly-2025-W12-ja.pdf``."""
    period_part = re.sub(r"[^0-9A-Za-z_.-]+", "_", period.id)
    return f"{cadence}-{period_part}-{language}.{extension}"


def output_paths(
    output: Path | None,
    folder: Path,
    cadence: Cadence,
    period: Period,
    language: str,
    formats: list[str],
) -> dict[str, Path]:
    """Return the file of each format.

    ``output`` is a file when it ends in the extension of the one format
    requested or exists and is no folder (such as /dev/stdout), else a
    folder; without it files go to ``folder``.
    """
    for name in formats:
        if name not in FORMATS:
            raise ReportError(f"unknown report format {name!r}; use html, xlsx or pdf")
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if output is not None and output.exists() and not output.is_dir():
        if len(formats) != 1:
            raise ReportError(
                f"--output {output} is a file, but the formats are "
                f"{', '.join(formats)}; give a folder for several formats, or one "
                "--format"
            )
        return {formats[0]: output}
    if output is not None and suffix in FORMATS:
        if formats != [suffix]:
            raise ReportError(
                f"--output {output} is a .{suffix} file, but the formats are "
                f"{', '.join(formats)}; give a folder for several formats, or "
                f"--format {suffix}"
            )
        return {suffix: output}
    target = output if output is not None else folder
    return {
        name: target / file_name(cadence, period, language, name) for name in formats
    }


def write_files(
    pack: ReportPack, calendar: Calendar, language: str, paths: dict[str, Path]
) -> None:
    """Render the pack in ``language`` into each format's file.

    Every file is written through a temporary file and renamed into place
    once all formats are written, so a failure leaves no new file and no
    half-written one (see :mod:`abmkpi.staged_files`).
    """
    from abmkpi.reports.html import render_html

    for path in paths.values():
        _make_folder(path.parent)
    html = render_html(pack, calendar, language)
    staged: list[StagedFile] = []
    try:
        for file_format, path in paths.items():
            staged.append(_staged(path))
            _render(file_format, pack, calendar, language, html, staged[-1])
        for item in staged:
            _commit(item)
    except BaseException:
        for item in staged:
            item.discard()
        raise


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportError(
            f"cannot create the report folder {folder}: {error.strerror or error}"
        ) from error


def _staged(path: Path) -> StagedFile:
    try:
        return StagedFile(path)
    except OSError as error:
        raise ReportError(f"cannot write {path}: {error.strerror or error}") from error


def _render(
    file_format: str,
    pack: ReportPack,
    calendar: Calendar,
    language: str,
    html: str,
    staged: StagedFile,
) -> None:
    """Write one format to the staged file; raise ReportError naming the
    target when the write fails."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        if file_format == "html":
            staged.write_path.write_text(html, encoding="utf-8")
        elif file_format == "xlsx":
            from abmkpi.reports.xlsx import write_xlsx

            write_xlsx(pack, calendar, language, staged.write_path)
        else:
            _write_pdf(html, staged)
    except (OSError, FileCreateError) as error:
        reason = _reason(error)
        raise ReportError(f"cannot write {staged.path}: {reason}") from error


def _write_pdf(html: str, staged: StagedFile) -> None:
    from playwright.sync_api import Error as PlaywrightError

    from abmkpi.reports.pdf import write_pdf

    try:
        write_pdf(html, staged.write_path)
    except PlaywrightError as error:
        reason = error.message.splitlines()[0] if error.message else str(error)
        raise ReportError(f"cannot write {staged.path}: {reason}") from error


def _commit(staged: StagedFile) -> None:
    try:
        staged.commit()
    except OSError as error:
        raise ReportError(
            f"cannot write {staged.path}: {error.strerror or error}"
        ) from error


def _reason(error: BaseException) -> str:
    """Return the operating system's reason for a failed write."""
    cause = error.args[0] if error.args else None
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(error)


def record_run(
    store: Store,
    pack: ReportPack,
    language: str,
    file_format: str,
    path: Path,
    trigger: str,
    when: datetime | None = None,
) -> int:
    """Store one ``report_runs`` row and its usage event; return the run id."""
    when = when or utc_now()
    run_id = int(store.scalar("SELECT nextval('report_run_ids')"))
    store.execute(
        "INSERT INTO report_runs (id, cadence, period_id, language, format, path, "
        "trigger, generated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            str(pack.cadence),
            pack.period.id,
            language,
            file_format,
            str(path),
            trigger,
            when,
        ],
        table="report_runs",
    )
    record_usage(
        store,
        UsageKind.REPORT_GENERATED,
        actor=trigger,
        detail={
            "run_id": run_id,
            "cadence": str(pack.cadence),
            "period": pack.period.id,
            "language": language,
            "format": file_format,
        },
        when=when,
    )
    return run_id


def generate(
    store: Store,
    pack: ReportPack,
    calendar: Calendar,
    language: str,
    paths: dict[str, Path],
    trigger: str,
    when: datetime | None = None,
) -> list[ReportFile]:
    """Write the pack's files and record a run for each of them."""
    write_files(pack, calendar, language, paths)
    written = []
    with store.transaction():
        for file_format, path in paths.items():
            run_id = record_run(store, pack, language, file_format, path, trigger, when)
            written.append(ReportFile(run_id, file_format, language, path))
    for item in written:
        logger.info(
            "wrote the %s %s pack of %s (%s) to %s, run %d",
            pack.cadence,
            item.format,
            pack.period.id,
            language,
            item.path,
            item.run_id,
        )
    return written


def last_runs(store: Store, trigger: str | None = None) -> dict[str, datetime]:
    """Return when each cadence last ran (naive UTC), optionally of one trigger."""
    sql = "SELECT cadence, max(generated_at) FROM report_runs "
    params: list[str] = []
    if trigger is not None:
        sql += "WHERE trigger = ? "
        params.append(trigger)
    rows = store.fetch_all(sql + "GROUP BY cadence", params)
    return {str(cadence): when for cadence, when in rows}
