"""Running the packs that are due, from the command line or inside the server.

``run_due`` writes every due pack once, in each scheduled language and
format, and records the runs with the trigger ``schedule``. The server's
:class:`ReportScheduler` calls it from a background thread once a minute
when ``reports.run_in_serve`` is on; its clock is injectable for tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from abmkpi.errors import AbmkpiError, StoreBusyError
from abmkpi.reports.pack import build_pack
from abmkpi.reports.runs import (
    ReportFile,
    Trigger,
    last_runs,
    output_paths,
    record_run,
    write_files,
)
from abmkpi.reports.schedule import DueRun, due_runs, scheduled_languages
from abmkpi.reports.send import send_pack
from abmkpi.store.database import Store
from abmkpi.usage import utc_now
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)

StoreAccess = Callable[[], AbstractContextManager[Store]]

# Seconds between two looks at the clock in the server.
TICK_SECONDS = 60.0


def run_due(
    workspace: Workspace,
    reading: StoreAccess,
    writing: StoreAccess,
    now: datetime | None = None,
) -> list[ReportFile]:
    """Write and record every pack due at ``now`` (naive UTC, default now)."""
    now = now or utc_now()
    settings = workspace.settings
    with reading() as store:
        due = due_runs(
            settings, workspace.calendar, last_runs(store, Trigger.SCHEDULE), now
        )
    written: list[ReportFile] = []
    for run in due:
        written += _run_one(workspace, run, reading, writing, now)
    return written


def _run_one(
    workspace: Workspace,
    run: DueRun,
    reading: StoreAccess,
    writing: StoreAccess,
    now: datetime,
) -> list[ReportFile]:
    settings = workspace.settings
    logger.info(
        "the %s pack is due (fired %s); writing it for %s",
        run.cadence,
        run.fired_at.isoformat(),
        run.period.id,
    )
    with reading() as store:
        pack = build_pack(
            store, settings, workspace.calendar, run.cadence, run.period, now
        )
    folder = workspace.root / settings.reports.output_dir
    written: list[ReportFile] = []
    for language in scheduled_languages(settings):
        paths = output_paths(
            None, folder, run.cadence, run.period, language, settings.reports.formats
        )
        write_files(pack, workspace.calendar, language, paths)
        with writing() as store, store.transaction():
            files = [
                ReportFile(
                    record_run(
                        store, pack, language, name, path, Trigger.SCHEDULE, now
                    ),
                    name,
                    language,
                    path,
                )
                for name, path in paths.items()
            ]
            if settings.reports.send:
                # Queued in real time; the CLI or the server's notifier sends it.
                send_pack(store, settings, workspace.calendar, pack, files)
        written += files
    return written


def single_store(store: Store) -> StoreAccess:
    """Return access to one store for both reading and writing (the CLI)."""

    @contextmanager
    def access() -> Iterator[Store]:
        yield store

    return access


class ReportScheduler:
    """A server thread that writes due packs; ``tick`` runs one check."""

    def __init__(
        self,
        workspace: Workspace,
        reading: StoreAccess,
        writing: StoreAccess,
        clock: Callable[[], datetime] = utc_now,
        interval: float = TICK_SECONDS,
    ):
        self.workspace = workspace
        self._reading = reading
        self._writing = writing
        self._clock = clock
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False

    def tick(self) -> list[ReportFile]:
        """Write the packs due at the clock's time; errors are logged, not raised.

        While another process has the workspace the tick is skipped (logged
        once); a pack not recorded yet is still due at the next tick.
        """
        try:
            written = run_due(
                self.workspace, self._reading, self._writing, self._clock()
            )
        except StoreBusyError as error:
            if not self._busy:
                logger.warning("scheduled reports: %s; retrying later", error)
            self._busy = True
            return []
        except AbmkpiError as error:
            logger.error("scheduled report failed: %s", error)
            return []
        if self._busy:
            logger.info("scheduled reports: the workspace is available again")
        self._busy = False
        return written

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name="abmkpi-reports", daemon=True
        )
        self._thread.start()
        logger.info("report scheduler started")

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            logger.info("report scheduler stopped")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:
                # The thread outlives one failed pack (a query error, a
                # browser crash); the next tick tries again.
                logger.exception("scheduled report failed")
            self._stopping.wait(self._interval)
