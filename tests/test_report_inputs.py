"""Report and schedule input on an empty workspace: errors name the option
typed, packs of a period not started or still running carry a note, and a failed
write leaves no file, no partial file and no recorded run."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from abmkpi.errors import ReportError
from abmkpi.staged_files import StagedFile, staged_file
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli

AS_OF = "2025-03-20T03:00:00Z"  # 12:00 on Thursday 2025-03-20 in Tokyo


def _stderr(result: Any) -> str:
    """Return the CLI's error text without the box that Rich draws round it."""
    lines = [line.strip(" │╭╮╰╯─") for line in result.stderr.splitlines()]
    return " ".join(line for line in lines if line)


def _runs(workspace: Workspace) -> int:
    with workspace.open_store(read_only=True) as store:
        return int(store.scalar("SELECT count(*) FROM report_runs"))


# Options named as typed ---------------------------------------------------------


def test_schedule_now_not_iso(workspace: Workspace) -> None:
    result = run_cli(
        "-w", workspace.root, "--lang", "en", "schedule", "--now", "soon", check=False
    )
    assert result.returncode == 2
    assert (
        "Invalid value for --now: 'soon' is not an ISO date or date-time, such as "
        "2024-06-30T14:59:00Z"
    ) in _stderr(result)
    assert "--as-of" not in result.stderr


def test_schedule_run_due_now_year(workspace: Workspace) -> None:
    result = run_cli(
        "-w", workspace.root, "--lang", "en", "schedule", "--run-due",
        "--now", "3000-01-01T00:00:00Z", check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert (
        "Invalid value for --now: '3000-01-01T00:00:00Z' is outside the supported "
        "years 1900 to 2999"
    ) in _stderr(result)
    assert "--as-of" not in result.stderr
    assert _runs(workspace) == 0


def test_report_as_of_named(workspace: Workspace) -> None:
    result = run_cli(
        "-w",
        workspace.root,
        "--lang",
        "en",
        "report",
        "weekly",
        "--as-of",
        "soon",
        check=False,
    )
    assert result.returncode == 2
    assert "Invalid value for --as-of: 'soon' is not an ISO date" in _stderr(result)


# Periods not started or still running ------------------------------------------


def _report(workspace: Workspace, output: Path, *options: str) -> Any:
    return run_cli(
        "-w", workspace.root, "report", "monthly", "-f", "html", "-o", output,
        "--as-of", AS_OF, *options,
    )  # fmt: skip


def test_future_period_warns(workspace: Workspace, tmp_path: Path) -> None:
    output = tmp_path / "may.html"
    result = _report(workspace, output, "--period", "2025-05")
    html = output.read_text(encoding="utf-8")
    # The workspace is Japanese, so the warning is too.
    assert (
        "警告: 期間 2025-05 はまだ始まっていません（開始日 2025-05-01）。"
        "そのため、このパックにはまだデータがありません"
    ) in _stderr(result)
    assert (
        '<p class="note timing">この期間はまだ始まっていません（開始日 2025/05/01）。'
        "そのため、このパックにはまだデータがありません。</p>"
    ) in html
    assert _runs(workspace) == 1


def test_running_period_noted(workspace: Workspace, tmp_path: Path) -> None:
    output = tmp_path / "march.html"
    result = _report(workspace, output, "--period", "2025-03", "--lang", "en")
    html = output.read_text(encoding="utf-8")
    assert (
        "note: period 2025-03 is still running (it ends on 2025-03-31); the pack "
        "covers it to date, as of 2025-03-20 12:00 (Asia/Tokyo)"
    ) in _stderr(result)
    assert (
        '<p class="note timing">This period is still running: the pack covers it '
        "to date, as of 20 Mar 2025 12:00.</p>"
    ) in html


def test_ended_period_has_no_note(workspace: Workspace, tmp_path: Path) -> None:
    output = tmp_path / "february.html"
    result = _report(workspace, output, "--period", "2025-02")
    assert "has not started" not in result.stderr
    assert "still running" not in result.stderr
    assert "note timing" not in output.read_text(encoding="utf-8")


def test_future_period_in_xlsx_summary(workspace: Workspace, tmp_path: Path) -> None:
    import openpyxl

    output = tmp_path / "may.xlsx"
    run_cli(
        "-w", workspace.root, "--lang", "en", "report", "monthly", "-f", "xlsx",
        "-o", output, "--as-of", AS_OF, "--period", "2025-05",
    )  # fmt: skip
    rows = list(openpyxl.load_workbook(output)["Summary"].iter_rows(values_only=True))
    assert rows[-1] == (
        "Note",
        "This period has not started: it starts on 1 May 2025, so the pack has no "
        "data for it yet.",
    )


# Failed writes -------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("file_format", ["html", "xlsx"])
def test_report_to_full_device(workspace: Workspace, file_format: str) -> None:
    result = run_cli(
        "-w", workspace.root, "--lang", "en",
        "report", "weekly", "-f", file_format,
        "-o", "/dev/full",
    check=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "error: cannot write /dev/full: No space left on device"
    )
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert _runs(workspace) == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_kpi_output_to_full_device(workspace: Workspace) -> None:
    with open("/dev/full", "w") as full:
        result = run_cli_to(
            full, "-w", workspace.root, "--lang", "en", "kpi", "--format", "json"
        )
    assert result.returncode == 1
    assert result.stderr == (
        "error: cannot write the standard output: No space left on device\n"
    )


def run_cli_to(stdout: Any, *args: str | Path) -> Any:
    """Run the CLI with standard output sent to an open file."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "abmkpi", *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
        check=False,
        timeout=300,
    )


def test_failed_format_leaves_no_file(workspace: Workspace, tmp_path: Path) -> None:
    # A folder has the xlsx file's name, so the pack cannot be written. The
    # html file rendered first must not replace the old one.
    folder = tmp_path / "packs"
    folder.mkdir()
    stem = "monthly-2025-02-en"
    (folder / f"{stem}.xlsx").mkdir()
    (folder / f"{stem}.html").write_text("old pack", encoding="utf-8")
    result = run_cli(
        "-w", workspace.root, "--lang", "en",
        "report", "monthly", "--period", "2025-02",
        "-f", "html", "-f", "xlsx", "-o", folder,
    check=False)  # fmt: skip
    assert result.returncode == 1
    assert f"error: cannot write {folder / stem}.xlsx: Is a directory" in _stderr(
        result
    )
    assert (folder / f"{stem}.html").read_text(encoding="utf-8") == "old pack"
    assert sorted(path.name for path in folder.iterdir()) == [
        f"{stem}.html",
        f"{stem}.xlsx",
    ]
    assert _runs(workspace) == 0


def test_staged_file_discarded_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ReportError), staged_file(target) as path:
        path.write_text("half", encoding="utf-8")
        raise ReportError("render failed")
    assert target.read_text(encoding="utf-8") == "old"
    assert [item.name for item in tmp_path.iterdir()] == ["out.csv"]


def test_staged_file_keeps_mode_and_link(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with staged_file(link) as path:
        path.write_text("new", encoding="utf-8")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_staged_file_rejects_folder(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        StagedFile(tmp_path)
