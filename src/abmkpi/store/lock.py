"""Waiting for a store that another process has open.

DuckDB lets one process at a time open a file for writing (and none open it
read-only meanwhile). A command that finds the store held waits for it,
retrying with a growing pause, up to a wait time (``--wait``, default
:data:`DEFAULT_LOCK_WAIT`). While it waits it leaves a marker file next to
the store (``abmkpi.duckdb.waiting-PID``), so a running ``abmkpi serve``
closes the store as soon as its current requests end instead of opening it
for new ones.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from abmkpi.errors import StoreBusyError, UserMessage

if TYPE_CHECKING:
    import duckdb

logger = logging.getLogger(__name__)

LOCK_WAIT_ENV = "ABMKPI_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 60.0
# The pause between two attempts starts here and doubles up to the maximum.
FIRST_PAUSE = 0.05
MAX_PAUSE = 0.25
MARKER_SUFFIX = ".waiting-"
# A marker is a small JSON document; more than this is not read.
MAX_MARKER_BYTES = 4096

_HOLDER = re.compile(r"\(PID (\d+)\)")

Announce = Callable[[Path, int | None], None]


@dataclass
class LockWait:
    """The wait for a locked store, and the function that reports it."""

    seconds: float = 0.0
    announce: Announce | None = None


# Library callers fail at once; the command line sets its wait at start-up.
_policy = LockWait()


def configure_lock_wait(seconds: float, announce: Announce | None = None) -> None:
    """Set how long stores opened by this process wait for a held file."""
    _policy.seconds = max(0.0, seconds)
    _policy.announce = announce


def default_lock_wait() -> float:
    return _policy.seconds


def is_lock_error(error: BaseException) -> bool:
    # DuckDB is imported where it is used, because the command line sets
    # the wait before it is clear whether the command opens a store at all.
    import duckdb

    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def holder_pid(error: BaseException) -> int | None:
    """Return the id of the process DuckDB names as holding the lock."""
    found = _HOLDER.search(str(error))
    return int(found.group(1)) if found else None


def busy_error(path: Path, pid: int | None, waited: float) -> StoreBusyError:
    if pid is None:
        holder = UserMessage("another process has it open")
    else:
        holder = UserMessage("process %(pid)s has it open", pid=pid)
    if waited > 0:
        holder = UserMessage(
            "%(holder)s after waiting %(seconds)g s",
            holder=holder,
            seconds=waited,
        )
    return StoreBusyError(
        UserMessage(
            "cannot open store %(path)s: %(holder)s. Wait for that command to "
            "finish (a running 'abmkpi serve' closes the store between requests), "
            "or stop it; run this command with '--wait SECONDS' to wait longer.",
            path=path,
            holder=holder,
        ),
        pid,
    )


def connect_waiting(
    path: Path,
    read_only: bool,
    wait: float | None = None,
    mark: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Connect to the store file, waiting up to ``wait`` seconds (default:
    the configured wait) while another process has it locked.

    With ``mark`` the wait leaves a marker file, and a serving process that
    finds it closes the store. Errors other than the lock propagate at once.
    """
    import duckdb

    seconds = default_lock_wait() if wait is None else max(0.0, wait)
    started = time.monotonic()
    pause = FIRST_PAUSE
    with _WaitingMarker(path, seconds, mark) as marker:
        while True:
            try:
                return duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as error:
                if not is_lock_error(error):
                    raise
                pid = holder_pid(error)
                elapsed = time.monotonic() - started
                if elapsed >= seconds:
                    raise busy_error(path, pid, seconds) from error
                if not marker.placed:
                    marker.place()
                    if _policy.announce is not None:
                        _policy.announce(path, pid)
                    logger.info("waiting for store %s held by process %s", path, pid)
                time.sleep(min(pause, seconds - elapsed))
                pause = min(pause * 2, MAX_PAUSE)


class _WaitingMarker:
    """The marker file of one waiting process, removed when the wait ends
    (also on Ctrl+C)."""

    def __init__(self, store: Path, seconds: float, enabled: bool):
        self.path = store.with_name(f"{store.name}{MARKER_SUFFIX}{os.getpid()}")
        self.seconds = seconds
        self.enabled = enabled
        self.placed = False

    def place(self) -> None:
        self.placed = True
        if not self.enabled:
            return
        now = time.time()
        document = {"pid": os.getpid(), "since": now, "until": now + self.seconds}
        try:
            self.path.write_text(json.dumps(document), encoding="utf-8")
        except OSError as error:
            # Waiting works without the marker; a server just closes later.
            logger.debug("could not write the waiting marker %s: %s", self.path, error)

    def __enter__(self) -> _WaitingMarker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.placed and self.enabled:
            with suppress(OSError):
                self.path.unlink()


def waiting_processes(store: Path, now: float | None = None) -> list[int]:
    """Return the ids of live processes waiting for the store.

    Markers of dead processes, markers past their wait and unreadable
    markers are ignored (and stale ones removed).
    """
    current = time.time() if now is None else now
    found: list[int] = []
    for marker in _markers(store):
        pid, until = _read_marker(marker)
        if pid is None or until < current or not _alive(pid):
            if pid is not None or until < current:
                with suppress(OSError):
                    marker.unlink()
            continue
        found.append(pid)
    return found


def _markers(store: Path) -> Iterator[Path]:
    try:
        yield from store.parent.glob(f"{store.name}{MARKER_SUFFIX}*")
    except OSError:
        return


def _read_marker(marker: Path) -> tuple[int | None, float]:
    try:
        text = _read_regular_file(marker, MAX_MARKER_BYTES)
    except _NotAMarker:
        # A directory, pipe or device with a marker's name is not a marker.
        # It is opened without blocking and never read, as reading a pipe
        # would wait for a writer.
        return None, 0.0
    except OSError:
        return None, float("inf")
    try:
        document = json.loads(text)
        return int(document["pid"]), float(document["until"])
    except (ValueError, KeyError, TypeError):
        # Being written right now, or not a marker: counts once it is whole.
        return None, float("inf")


class _NotAMarker(Exception):
    """A path with a marker's name that is no regular file."""


def _read_regular_file(path: Path, max_bytes: int) -> str:
    """Return the start of a regular file without blocking on special files."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise _NotAMarker(path)
        return os.read(descriptor, max_bytes).decode("utf-8", errors="replace")
    finally:
        os.close(descriptor)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
