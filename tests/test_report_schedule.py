"""When report packs are due: cadence periods, cron lines and crontab text."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file

from abmkpi.config import FiscalSettings, Settings
from abmkpi.errors import ReportError
from abmkpi.i18n import translate
from abmkpi.periods import Calendar
from abmkpi.reports.cadence import Cadence, last_complete_period, parse_cadence
from abmkpi.reports.runs import output_paths
from abmkpi.reports.schedule import crontab_text, due_runs, latest_fire
from abmkpi.web.app import create_app
from abmkpi.workspace import Workspace

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_utc(*parts: int) -> datetime:
    """Return a Tokyo wall-clock time as the naive UTC instant the store keeps."""
    return datetime(*parts, tzinfo=TOKYO).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def calendar() -> Calendar:
    return Calendar(FiscalSettings(), "Asia/Tokyo")


@pytest.fixture
def settings() -> Settings:
    return Settings()


def test_weekly_period_is_last_week(calendar: Calendar) -> None:
    period = last_complete_period(calendar, Cadence.WEEKLY, date(2025, 3, 24))
    assert (period.id, period.start, period.end) == (
        "2025-W12",
        date(2025, 3, 17),
        date(2025, 3, 23),
    )


def test_weekly_period_midweek(calendar: Calendar) -> None:
    period = last_complete_period(calendar, Cadence.WEEKLY, date(2025, 3, 27))
    assert period.id == "2025-W12"


def test_monthly_period_is_last_month(calendar: Calendar) -> None:
    period = last_complete_period(calendar, Cadence.MONTHLY, date(2025, 1, 1))
    assert (period.id, period.start, period.end) == (
        "2024-12",
        date(2024, 12, 1),
        date(2024, 12, 31),
    )


def test_quarterly_period_is_last_fiscal_quarter(calendar: Calendar) -> None:
    period = last_complete_period(calendar, Cadence.QUARTERLY, date(2025, 5, 15))
    assert (period.id, period.start, period.end) == (
        "FY2024-Q4",
        date(2025, 1, 1),
        date(2025, 3, 31),
    )


def test_quarterly_period_january_fiscal_year() -> None:
    calendar = Calendar(FiscalSettings(start_month=1), "Asia/Tokyo")
    period = last_complete_period(calendar, Cadence.QUARTERLY, date(2025, 4, 1))
    assert (period.id, period.start) == ("FY2025-Q1", date(2025, 1, 1))


def test_parse_cadence_rejects_daily() -> None:
    with pytest.raises(ValueError, match="'daily'"):
        parse_cadence("daily")


def test_latest_fire_at_exact_time() -> None:
    fired = latest_fire("0 8 * * 1", tokyo_utc(2025, 3, 24, 8, 0), "Asia/Tokyo")
    assert fired == datetime(2025, 3, 24, 8, 0, tzinfo=TOKYO)


def test_latest_fire_before_time() -> None:
    fired = latest_fire("0 8 * * 1", tokyo_utc(2025, 3, 24, 7, 59), "Asia/Tokyo")
    assert fired == datetime(2025, 3, 17, 8, 0, tzinfo=TOKYO)


def test_weekly_due_monday_morning(settings: Settings, calendar: Calendar) -> None:
    # Monday 2025-03-24 08:05 in Tokyo is Sunday 23:05 UTC.
    now = datetime(2025, 3, 23, 23, 5)
    due = due_runs(settings, calendar, {}, now)
    assert [run.cadence for run in due] == [Cadence.WEEKLY]
    assert due[0].fired_at == datetime(2025, 3, 24, 8, 0, tzinfo=TOKYO)
    assert due[0].period.id == "2025-W12"


def test_weekly_not_due_before_eight(settings: Settings, calendar: Calendar) -> None:
    last = {"weekly": tokyo_utc(2025, 3, 17, 8, 1)}
    due = due_runs(settings, calendar, last, tokyo_utc(2025, 3, 24, 7, 59))
    assert due == []


def test_weekly_not_due_after_run(settings: Settings, calendar: Calendar) -> None:
    last = {"weekly": tokyo_utc(2025, 3, 24, 8, 1)}
    due = due_runs(settings, calendar, last, tokyo_utc(2025, 3, 24, 17, 0))
    assert due == []


def test_missed_week_caught_up(settings: Settings, calendar: Calendar) -> None:
    last = {"weekly": tokyo_utc(2025, 3, 10, 8, 0)}
    due = due_runs(settings, calendar, last, tokyo_utc(2025, 3, 26, 12, 0))
    assert [(run.cadence, run.period.id) for run in due] == [
        (Cadence.WEEKLY, "2025-W12")
    ]


def test_first_run_only_within_a_day(settings: Settings, calendar: Calendar) -> None:
    due = due_runs(settings, calendar, {}, tokyo_utc(2025, 3, 26, 12, 0))
    assert due == []


def test_quarter_start_all_due(settings: Settings, calendar: Calendar) -> None:
    due = due_runs(settings, calendar, {}, tokyo_utc(2025, 4, 1, 8, 0))
    periods = {run.cadence: run.period.id for run in due}
    assert periods == {
        Cadence.WEEKLY: "2025-W13",
        Cadence.MONTHLY: "2025-03",
        Cadence.QUARTERLY: "FY2024-Q4",
    }


def test_schedule_in_new_york(calendar: Calendar) -> None:
    settings = Settings.model_validate({"workspace": {"time_zone": "America/New_York"}})
    # 08:00 in New York on Monday 2025-03-24 (daylight time) is 12:00 UTC.
    assert due_runs(settings, calendar, {}, datetime(2025, 3, 24, 11, 59)) == []
    due = due_runs(settings, calendar, {}, datetime(2025, 3, 24, 12, 0))
    assert [run.cadence for run in due] == [Cadence.WEEKLY]


def test_invalid_cron_line_rejected() -> None:
    with pytest.raises(ValueError, match="not a cron line"):
        Settings.model_validate({"reports": {"weekly": "every monday"}})


def test_cron_line_without_date_rejected() -> None:
    with pytest.raises(ValueError, match="never fires"):
        Settings.model_validate({"reports": {"weekly": "0 8 31 2 *"}})


def test_empty_report_formats_rejected() -> None:
    with pytest.raises(ValueError, match="at least one report format"):
        Settings.model_validate({"reports": {"formats": []}})


def test_huge_sla_hours_rejected() -> None:
    with pytest.raises(ValueError, match="less than or equal to 8760"):
        Settings.model_validate({"handoff": {"sla_hours": 1e308}})


def test_crontab_lines(settings: Settings) -> None:
    lines = crontab_text(settings, Path("/srv/abm")).splitlines()
    assert lines[1] == "CRON_TZ=Asia/Tokyo"
    assert len(lines) == 5
    weekly = lines[2]
    assert weekly.startswith("0 8 * * 1 ")
    assert weekly.endswith(
        " -m abmkpi -w /srv/abm report weekly --lang ja --scheduled "
        "--format html --format xlsx --format pdf"
    )
    assert lines[4].startswith("0 8 1 1,4,7,10 * ")


def test_crontab_languages_and_send() -> None:
    settings = Settings.model_validate(
        {"reports": {"languages": ["ja", "en"], "send": True, "formats": ["pdf"]}}
    )
    lines = crontab_text(settings, Path("/srv/abm")).splitlines()
    assert len(lines) == 8
    assert lines[3].endswith("report weekly --lang en --scheduled --format pdf --send")


def test_crontab_workspace_path_absolute(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = crontab_text(settings, Path("ws"))
    assert f" -w {tmp_path / 'ws'} report weekly " in text


def test_crontab_escapes_percent(settings: Settings) -> None:
    text = crontab_text(settings, Path("/srv/100%"))
    assert "-w /srv/100\\%" in text


def test_output_file_for_one_format(calendar: Calendar) -> None:
    period = calendar.parse("2025-W12")
    paths = output_paths(
        Path("out/pack.pdf"), Path("reports"), Cadence.WEEKLY, period, "ja", ["pdf"]
    )
    assert paths == {"pdf": Path("out/pack.pdf")}


def test_output_folder_names(calendar: Calendar) -> None:
    period = calendar.parse("FY2024-Q4")
    paths = output_paths(
        None, Path("reports"), Cadence.QUARTERLY, period, "en", ["html", "xlsx"]
    )
    assert paths == {
        "html": Path("reports/quarterly-FY2024-Q4-en.html"),
        "xlsx": Path("reports/quarterly-FY2024-Q4-en.xlsx"),
    }


def test_output_file_with_two_formats(calendar: Calendar) -> None:
    period = calendar.parse("2025-03")
    with pytest.raises(ReportError, match="give a folder"):
        output_paths(
            Path("pack.html"), Path("r"), Cadence.MONTHLY, period, "ja", ["html", "pdf"]
        )


REPORTS = Path(__file__).resolve().parents[1] / "src" / "abmkpi" / "reports"


def _report_messages() -> list[str]:
    """Return every message the report packs mark for translation."""
    keywords = {"_": None, "N_": None}
    found = []
    for path in sorted((REPORTS / "templates").glob("*.html")):
        method = "jinja2.ext:babel_extract"
        found += [m for _, m, _, _ in extract_from_file(method, str(path), keywords)]
    for path in sorted(REPORTS.glob("*.py")):
        found += [m for _, m, _, _ in extract_from_file("python", str(path), keywords)]
    return list(dict.fromkeys(found))


def test_reports_mark_messages() -> None:
    assert len(_report_messages()) > 60


@pytest.mark.parametrize("message", _report_messages())
def test_report_message_translated(message: str) -> None:
    assert translate(message, "ja") != message or message == "KPI"


# Cron lines that fire on February 29 only, so no pack is due in these tests.
LEAP_DAY = "0 8 29 2 *"


def _served_messages(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Start and stop the server's lifespan; return the scheduler's log lines."""
    app = create_app(workspace)

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            pass

    with caplog.at_level(logging.INFO, logger="abmkpi.reports.scheduler"):
        asyncio.run(serve())
    return [record.getMessage() for record in caplog.records]


def test_serve_runs_scheduler(
    make_workspace: Callable[..., Workspace], caplog: pytest.LogCaptureFixture
) -> None:
    workspace = make_workspace(
        reports={
            "run_in_serve": True,
            "weekly": LEAP_DAY,
            "monthly": LEAP_DAY,
            "quarterly": LEAP_DAY,
        }
    )
    messages = _served_messages(workspace, caplog)
    assert "report scheduler started" in messages
    assert "report scheduler stopped" in messages


def test_serve_scheduler_off_by_default(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    messages = _served_messages(workspace, caplog)
    assert "report scheduler started" not in messages
