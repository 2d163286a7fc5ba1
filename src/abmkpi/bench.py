"""Timing the main operations on a demo workspace of a given size.

:func:`run_bench` builds a demo workspace in a directory, or reuses the one
an earlier run built there with the same size and seed, and times in this
process: a CSV import of one night's new activities, matching and derived
data, every KPI of the latest complete fiscal quarter, the account list and
one live ingest batch. The import and the ingest batch are rolled back, so the
workspace stays as built and later runs time the same work.

Each stage reports its seconds and the peak resident memory of the process
up to its end (the high-water mark never falls, so a stage that needs less
than an earlier one shows the earlier peak).
"""

from __future__ import annotations

import csv
import json
import logging
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from abmkpi.canonical import ActivityType
from abmkpi.demo.generator import DemoSize, generate
from abmkpi.errors import WorkspaceError
from abmkpi.store.database import Store
from abmkpi.usage import utc_now
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)

# Written into the directory after a build; a later run with the same size
# and seed reuses the workspace.
MARKER = "bench.json"
IMPORT_SOURCE = "bench"
EVENT_TYPES = (
    ActivityType.WEB_VISIT,
    ActivityType.EMAIL_CLICK,
    ActivityType.CONTENT_DOWNLOAD,
    ActivityType.FORM_FILL,
    ActivityType.AD_CLICK,
)
_MAPPING = f"""source = "{IMPORT_SOURCE}"
time_zone = "UTC"

[[tables]]
file = "activities.csv"
target = "activities"

[tables.columns]
id = "id"
occurred_at = "occurred_at"
type = "type"
email = "email"
"""


@dataclass(frozen=True)
class StageTiming:
    """One timed operation."""

    name: str
    seconds: float
    peak_memory_mib: float
    detail: str


@dataclass
class BenchReport:
    """The timings of one run and what they ran on."""

    directory: Path
    size: DemoSize
    seed: int
    reused: bool
    period: str
    rows: dict[str, int]
    stages: list[StageTiming] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "size": asdict(self.size),
            "seed": self.seed,
            "reused": self.reused,
            "period": self.period,
            "rows": self.rows,
            "stages": [asdict(stage) for stage in self.stages],
        }


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux counts kibibytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_bench(
    directory: Path,
    size: DemoSize,
    seed: int = 7,
    force: bool = False,
    import_rows: int = 10_000,
    batch_size: int = 500,
) -> BenchReport:
    """Build or reuse the demo workspace in ``directory`` and time each stage."""
    stages: list[StageTiming] = []
    workspace, end, reused = _prepare(directory, size, seed, force, stages)
    calendar = workspace.calendar
    period = calendar.previous(calendar.fiscal_quarter_of(end))[0]
    with workspace.open_store() as store:
        rows = {
            table: int(store.scalar(f"SELECT count(*) FROM {table}"))
            for table in ("accounts", "people", "activities", "opportunities")
        }
        emails = _sample_emails(store, max(import_rows, batch_size))
        if not emails:
            raise WorkspaceError(
                f"{directory}: the workspace has no people with an e-mail address; "
                "rebuild it with --force"
            )
        report = BenchReport(directory, size, seed, reused, period.id, rows, stages)
        _stage(stages, "import", lambda: _import(workspace, store, emails, import_rows))
        _stage(stages, "match", lambda: _match(workspace, store))
        _stage(stages, "kpis", lambda: _kpis(workspace, store, period))
        _stage(stages, "accounts", lambda: _accounts(workspace, store, period))
        _stage(stages, "ingest", lambda: _ingest(workspace, store, emails, batch_size))
    return report


def _stage(stages: list[StageTiming], name: str, action: Callable[[], str]) -> None:
    started = time.perf_counter()
    detail = action()
    seconds = time.perf_counter() - started
    stages.append(StageTiming(name, seconds, peak_memory_mib(), detail))
    logger.info("%s: %.2fs (%s)", name, seconds, detail)


def _prepare(
    directory: Path,
    size: DemoSize,
    seed: int,
    force: bool,
    stages: list[StageTiming],
) -> tuple[Workspace, date, bool]:
    """Return the workspace, its last data day and whether it was reused."""
    expected = {**asdict(size), "seed": seed}
    marker = directory / MARKER
    if marker.exists() and not force:
        built = json.loads(marker.read_text(encoding="utf-8"))
        if {key: built.get(key) for key in expected} == expected:
            end = date.fromisoformat(built["end_date"])
            return Workspace.load(directory), end, True
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise WorkspaceError(
                f"{directory} does not contain a bench workspace of this size and "
                "seed; pass --force to replace it, or choose another --dir"
            )
        if not (directory / "abmkpi.toml").exists():
            raise WorkspaceError(
                f"{directory} is not a workspace, so it was not deleted; "
                "choose another --dir"
            )
        shutil.rmtree(directory)
    workspace = Workspace.init(directory)
    started = time.perf_counter()
    summary = generate(workspace, size, seed=seed)
    seconds = time.perf_counter() - started
    stages.append(StageTiming("build", seconds, peak_memory_mib(), summary.describe()))
    marker.write_text(
        json.dumps({**expected, "end_date": summary.end_date.isoformat()}),
        encoding="utf-8",
    )
    return workspace, summary.end_date, False


def _sample_emails(store: Store, count: int) -> list[str]:
    """Addresses of live people, the same ones on every run."""
    rows = store.fetch_all(
        "SELECT email FROM people WHERE email IS NOT NULL AND NOT is_deleted "
        "AND merged_into_id IS NULL ORDER BY hash(id), id LIMIT ?",
        [count],
    )
    return [row[0] for row in rows]


def _instants(count: int, last: datetime) -> list[datetime]:
    """``count`` instants a few seconds apart, ending at ``last``."""
    return [last - timedelta(seconds=3 * (count - i)) for i in range(count)]


def _import(workspace: Workspace, store: Store, emails: list[str], count: int) -> str:
    """Import ``count`` activities from a CSV file as a dry run (rolled back).

    The file is shaped like a nightly activity export: nine in ten rows name
    a known person's address, the tenth a new address at a known person's
    company domain, which matches by domain and creates no person.
    """
    from abmkpi.sources.base import ImportOptions
    from abmkpi.sources.loader import load_batch
    from abmkpi.sources.registry import get_importer

    with tempfile.TemporaryDirectory(prefix="abmkpi-bench-") as folder:
        path = Path(folder) / "activities.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["id", "occurred_at", "type", "email"])
            for index, instant in enumerate(_instants(count, utc_now())):
                email = emails[index % len(emails)]
                if index % 10 == 9:
                    email = f"new-{index}@{email.split('@', 1)[1]}"
                writer.writerow(
                    [
                        f"import-{index}",
                        instant.isoformat(timespec="seconds"),
                        EVENT_TYPES[index % len(EVENT_TYPES)].value,
                        email,
                    ]
                )
        mapping = Path(folder) / "bench.toml"
        mapping.write_text(_MAPPING, encoding="utf-8")
        options = ImportOptions(mapping=mapping, dry_run=True)
        batch = get_importer("csv").read([path], workspace.settings, options)
        summary = load_batch(workspace, store, batch, options)
    logger.debug("bench import: %s", summary.describe())
    path_taken = (
        "changed records matched"
        if "incremental" in summary.derived
        else "every record rematched"
    )
    return f"{count:,} activities from a CSV file, {path_taken}, rolled back"


def _match(workspace: Workspace, store: Store) -> str:
    from abmkpi.derive import refresh

    refresh(store, workspace.settings, workspace.root)
    return "matches, personas, targets and amounts of every record"


def _kpis(workspace: Workspace, store: Store, period: Any) -> str:
    from abmkpi.metrics.compute import compute_kpis

    report = compute_kpis(store, workspace.settings, period)
    return (
        f"{len(report.results)} results of {period.id} for "
        f"{len(report.segments)} segments"
    )


def _accounts(workspace: Workspace, store: Store, period: Any) -> str:
    from abmkpi.metrics.accounts import list_accounts

    rows = list_accounts(store, workspace.settings, period, "score", 50)
    return f"top {len(rows)} accounts of {period.id} by score"


class _Rollback(Exception):
    """Raised inside the transaction to undo the ingest batch."""


def _ingest(workspace: Workspace, store: Store, emails: list[str], count: int) -> str:
    """Ingest ``count`` live events naming people by address, rolled back."""
    from abmkpi.ingest import LiveEvent, ingest_events
    from abmkpi.matching.freemail import resolve_free_mail

    free_mail = resolve_free_mail(workspace.settings.matching, workspace.root)
    events = [
        LiveEvent(
            event_id=f"bench-{index}",
            occurred_at=instant,
            type=EVENT_TYPES[index % len(EVENT_TYPES)],
            email=emails[index % len(emails)],
        )
        for index, instant in enumerate(_instants(count, utc_now()))
    ]
    try:
        with store.transaction():
            result = ingest_events(store, workspace.settings, free_mail, events)
            raise _Rollback
    except _Rollback:
        pass
    return (
        f"{result.inserted:,} events, {len(result.account_ids):,} accounts "
        "changed, rolled back"
    )
