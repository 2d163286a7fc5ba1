"""When each pack is due: cron lines in the workspace time zone, and crontab text.

``settings.reports`` contains one cron line per cadence, read in the
workspace's business time zone (Mondays at 08:00 Asia/Tokyo by default for
the weekly pack). A cadence is due when its latest fire time has passed
and no scheduled run of it has been recorded since; a cadence that never
ran is due only within a day of its fire time, so turning the schedule on
does not write every past pack at once. A due pack covers the
last period that was complete when it fired: Monday's weekly pack covers
the week that ended the day before.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from croniter import croniter

from abmkpi.config import Settings
from abmkpi.periods import Calendar, Period
from abmkpi.reports.cadence import Cadence, last_complete_period

# How long after its fire time a cadence that never ran is still due.
FIRST_RUN_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class DueRun:
    """A cadence whose fire time has passed, with the period its pack covers."""

    cadence: Cadence
    fired_at: datetime  # in the workspace time zone
    period: Period


def cron_lines(settings: Settings) -> dict[Cadence, str]:
    reports = settings.reports
    return {
        Cadence.WEEKLY: reports.weekly,
        Cadence.MONTHLY: reports.monthly,
        Cadence.QUARTERLY: reports.quarterly,
    }


def _local(instant: datetime, time_zone: str) -> datetime:
    """Return a naive-UTC or aware instant in the business time zone."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(ZoneInfo(time_zone))


def latest_fire(line: str, now: datetime, time_zone: str) -> datetime:
    """Return the latest fire time of a cron line at or before ``now``."""
    local = _local(now, time_zone)
    fire: datetime = croniter(line, local).get_prev(datetime)
    # croniter's previous time is strictly before its start, so a run at
    # exactly the fire time finds that fire time itself.
    if croniter.match(line, local) and local.second == 0 and local.microsecond == 0:
        return local
    return fire


def next_fire(line: str, now: datetime, time_zone: str) -> datetime:
    """Return the first fire time of a cron line after ``now``."""
    result: datetime = croniter(line, _local(now, time_zone)).get_next(datetime)
    return result


def due_runs(
    settings: Settings,
    calendar: Calendar,
    last_runs: dict[str, datetime],
    now: datetime,
) -> list[DueRun]:
    """Return the cadences due at ``now`` given their last scheduled runs.

    ``last_runs`` maps a cadence to its last scheduled run (naive UTC).
    """
    time_zone = settings.workspace.time_zone
    due = []
    for cadence, line in cron_lines(settings).items():
        fired = latest_fire(line, now, time_zone)
        last = last_runs.get(str(cadence))
        if last is not None and _local(last, time_zone) >= fired:
            continue
        if last is None and _local(now, time_zone) - fired > FIRST_RUN_WINDOW:
            continue
        period = last_complete_period(calendar, cadence, fired.date())
        due.append(DueRun(cadence, fired, period))
    return due


def scheduled_languages(settings: Settings) -> list[str]:
    return list(settings.reports.languages) or [settings.workspace.language]


def crontab_text(settings: Settings, root: Path) -> str:
    """Return crontab lines that write each cadence's pack for the workspace.

    The lines set ``CRON_TZ``, which cronie reads. A cron daemon that
    ignores it runs the lines in the system time zone.
    """
    # cron runs commands from the home folder, so the path must be absolute.
    root = root.resolve()
    command = f"{shlex.quote(sys.executable)} -m abmkpi -w {shlex.quote(str(root))}"
    options = [f"--format {name}" for name in settings.reports.formats]
    if settings.reports.send:
        options.append("--send")
    lines = [
        f"# abmkpi report packs of {root} ({settings.workspace.name})",
        f"CRON_TZ={settings.workspace.time_zone}",
    ]
    for cadence, line in cron_lines(settings).items():
        for language in scheduled_languages(settings):
            arguments = " ".join(
                [f"report {cadence} --lang {language} --scheduled", *options]
            )
            # cron reads '%' as a line break, so a literal one is escaped.
            lines.append(f"{line} {command} {arguments}".replace("%", "\\%"))
    return "\n".join(lines) + "\n"
