"""Commands and a running server share a workspace.

The server (a real uvicorn on 127.0.0.1) opens the store only while it is
used; commands run as real subprocesses while it serves, and a helper
process holds the store open to make it busy.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from abmkpi.demo import DemoSize, generate
from abmkpi.errors import StoreBusyError
from abmkpi.reports.scheduler import ReportScheduler
from abmkpi.store.database import Store
from abmkpi.store.lock import MARKER_SUFFIX, waiting_processes
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.web_support import LogCapture, Server, error_of, serving

END = date(2025, 3, 31)
PERIOD = "FY2024-Q4"
SIZE = DemoSize(accounts=60, activities=1500, target_accounts=5)
KPI = "engagement_score"

# A process that opens the store for writing (as a command does), prints
# "held", and keeps it open until its standard input closes.
HOLDER = """
import sys
from pathlib import Path
from abmkpi.store.database import Store

store = Store.open(Path(sys.argv[1]), wait=60)
print("held", flush=True)
sys.stdin.read()
store.close()
print("released", flush=True)
"""


class Holder:
    """The holder process; ``wait_held`` returns once it has the store."""

    def __init__(self, store: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(store)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_held(self) -> None:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "held":
            _, error = self.process.communicate(timeout=30)
            raise AssertionError(f"the holder did not get the store: {error}")

    def release(self) -> None:
        stdout, stderr = self.process.communicate(input="", timeout=60)
        assert self.process.returncode == 0, stderr
        assert "released" in stdout

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def holders() -> Iterator[Callable[..., Holder]]:
    started: list[Holder] = []

    def start(store: Path) -> Holder:
        holder = Holder(store)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        holder.kill()


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lease-demo") / "ws"
    generate(Workspace.init(root), SIZE, seed=3, end_date=END)
    return root


@pytest.fixture
def served(demo_root: Path) -> Iterator[tuple[Server, LogCapture]]:
    with serving(Workspace.load(demo_root)) as (server, logs):
        yield server, logs


def _target_of(server: Server) -> Any:
    with server.client() as client:
        response = client.get("/api/v1/kpis", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    (result,) = [r for r in results if r["id"] == KPI and r["segment"] == "target"]
    return result["target"]


def _key(result: dict[str, Any]) -> tuple[str, str, str | None]:
    return result["id"], result["segment"], result.get("variant")


def _until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.05)


def test_command_writes_while_serving(
    served: tuple[Server, LogCapture], demo_root: Path
) -> None:
    server, _ = served
    assert _target_of(server) is None
    version = server.state.data_version
    assert server.state.facts.entries()

    result = run_cli(
        "--lang",
        "en",
        "-w",
        demo_root,
        "targets",
        "kpi",
        "set",
        KPI,
        "31.5",
        "--period",
        PERIOD,
    )

    assert "(Target accounts) set to 31.5" in result.stdout
    # The server notices the other process's write on its next open: the
    # cached facts (which hold the period's targets) are dropped.
    assert _target_of(server) == 31.5
    assert server.state.data_version == version + 1
    listed = run_cli(
        "--lang", "en", "-w", demo_root, "targets", "kpi", "clear", "--all"
    )
    assert "cleared 1 stored KPI targets" in listed.stdout
    assert _target_of(server) is None
    assert server.state.data_version == version + 2


def test_command_write_streams_event(
    served: tuple[Server, LogCapture], demo_root: Path
) -> None:
    """Open dashboards hear of a command's write without making a request:
    the notifier's tick reopens the store."""
    server, _ = served
    server.state.keep_alive = 0.5
    _target_of(server)
    version = server.state.data_version
    timeout = httpx.Timeout(60, read=60)
    with server.client().stream("GET", "/api/v1/events", timeout=timeout) as stream:
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        run_cli("-w", demo_root, "targets", "kpi", "set", KPI, "12", "--period", PERIOD)
        event = _next_event(lines, time.monotonic() + 120)
    run_cli("-w", demo_root, "targets", "kpi", "clear", "--all")

    assert event == {
        "data_version": version + 1,
        "accounts": [],
        "inserted": 0,
        "external": True,
    }


def _next_event(lines: Iterator[str], deadline: float) -> dict[str, Any]:
    """Read the stream up to the next ``activities`` event and return its data."""
    name = None
    for line in lines:
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name == "activities":
            data: dict[str, Any] = json.loads(line.split(":", 1)[1])
            return data
        if time.monotonic() > deadline:
            break
    raise AssertionError("no activities event arrived")


def test_reading_command_while_serving(
    served: tuple[Server, LogCapture], demo_root: Path
) -> None:
    server, _ = served
    with server.client() as client:
        shown = client.get("/api/v1/kpis", params={"period": PERIOD}).json()
    version = server.state.data_version

    result = run_cli("-w", demo_root, "kpi", "--period", PERIOD, "--format", "json")

    printed = json.loads(result.stdout)
    values = {_key(r): r["value"] for r in printed["results"]}
    assert len(values) == len(shown["results"]) > 20
    for item in shown["results"]:
        assert values[_key(item)] == item["value"]
    # A read-only command writes nothing, so the caches stay.
    with server.client() as client:
        assert client.get("/api/v1/health").status_code == 200
    assert server.state.data_version == version


def test_idle_close_keeps_caches(served: tuple[Server, LogCapture]) -> None:
    server, _ = served
    state = server.state
    _target_of(server)
    entries = state.facts.entries()
    version = state.data_version
    opens = state.lease.opens
    _until(lambda: not state.lease.is_open, "closing the idle store")

    _target_of(server)

    assert state.lease.opens == opens + 1
    assert state.data_version == version
    assert state.facts.entries() == entries


def test_busy_workspace_answers_503(
    served: tuple[Server, LogCapture],
    demo_root: Path,
    holders: Callable[..., Holder],
) -> None:
    server, logs = served
    state = server.state
    state.lease.busy_wait = 0.5
    _target_of(server)
    version = state.data_version
    holder = holders(Workspace.load(demo_root).store_path)
    holder.wait_held()

    with server.client() as client:
        api = client.get("/api/v1/kpis", params={"period": PERIOD})
        page = client.get("/?lang=en", headers={"Accept": "text/html"})
        page_ja = client.get("/?lang=ja", headers={"Accept": "text/html"})

    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    error = error_of(api)
    assert error["code"] == "unavailable"
    assert error["message"] == (
        f"the workspace is busy: process {holder.pid} has it open; "
        "try again in a few seconds"
    )
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert f"Process {holder.pid} is writing the workspace" in page.text
    assert f"プロセス {holder.pid} がワークスペースに書き込んでいます" in page_ja.text

    holder.release()
    with server.client() as client:
        assert client.get("/api/v1/health").status_code == 200
    # The holder opened the store for writing, so the server assumes a change.
    assert state.data_version == version + 1
    assert not state.facts.entries()
    assert "Traceback" not in logs.text


def test_command_waits_for_busy_server(
    served: tuple[Server, LogCapture], demo_root: Path
) -> None:
    """Requests that keep the store in use do not starve a waiting command."""
    server, _ = served
    state = server.state
    stopping = threading.Event()
    busy: list[StoreBusyError] = []

    def keep_using() -> None:
        while not stopping.is_set():
            try:
                with state.reader() as store:
                    store.scalar("SELECT count(*) FROM accounts")
                    time.sleep(0.1)
            except StoreBusyError as error:
                busy.append(error)

    users = [threading.Thread(target=keep_using) for _ in range(3)]
    for user in users:
        user.start()
    try:
        _until(lambda: state.lease.is_open, "opening the store")
        result = run_cli(
            "--lang",
            "en",
            "-w",
            demo_root,
            "--lang",
            "en",
            "--wait",
            "120",
            "targets",
            "kpi",
            "set",
            KPI,
            "7",
            "--period",
            PERIOD,
        )
    finally:
        stopping.set()
        for user in users:
            user.join(timeout=60)

    assert "set to 7" in result.stdout
    assert "waiting for the workspace: process" in result.stderr
    assert f"process {os.getpid()} has" in result.stderr
    assert _target_of(server) == 7
    run_cli("-w", demo_root, "targets", "kpi", "clear", "--all")
    store = Workspace.load(demo_root).store_path
    assert not list(store.parent.glob(f"{store.name}{MARKER_SUFFIX}*"))


def test_wait_zero_fails_at_once(
    workspace: Workspace, holders: Callable[..., Holder]
) -> None:
    holder = holders(workspace.store_path)
    holder.wait_held()

    result = run_cli(
        "-w", workspace.root, "--lang", "en", "--wait", "0", "kpi", check=False
    )

    assert result.returncode == 1
    assert f"process {holder.pid} has it open" in result.stderr
    assert "--wait SECONDS" in result.stderr
    assert "waiting for the workspace" not in result.stderr
    holder.release()


def test_busy_messages_in_japanese(
    workspace: Workspace, holders: Callable[..., Holder]
) -> None:
    holder = holders(workspace.store_path)
    holder.wait_held()

    result = run_cli(
        "-w", workspace.root, "--lang", "ja", "--wait", "1", "kpi", check=False
    )

    assert result.returncode == 1
    assert (
        f"ワークスペースの解放を待っています: プロセス {holder.pid} が "
        f"{workspace.store_path} を使用中です（最大 1 秒待機します。Ctrl+C で中止）"
    ) in result.stderr
    assert f"エラー: ストア {workspace.store_path} を開けません" in result.stderr
    assert f"プロセス {holder.pid} が使用中です（1 秒待機しました）" in result.stderr
    holder.release()


def test_wait_until_holder_releases(
    workspace: Workspace, holders: Callable[..., Holder]
) -> None:
    holder = holders(workspace.store_path)
    holder.wait_held()
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    environment.pop("ABMKPI_WORKSPACE", None)
    command = [sys.executable, "-m", "abmkpi", "-w", str(workspace.root)]
    command += ["--lang", "en", "--wait", "120", "kpi", "--format", "json"]
    waiting = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        # The command leaves a marker next to the store while it waits.
        _until(
            lambda: waiting_processes(workspace.store_path) == [waiting.pid],
            "the command's waiting marker",
            seconds=120,
        )
        holder.release()
        stdout, stderr = waiting.communicate(timeout=300)
    finally:
        if waiting.poll() is None:
            waiting.kill()

    assert waiting.returncode == 0, stderr
    assert json.loads(stdout)["results"]
    assert stderr.count(f"waiting for the workspace: process {holder.pid}") == 1
    assert not list(workspace.root.glob(f"{workspace.store_path.name}{MARKER_SUFFIX}*"))


def test_wait_from_environment(
    workspace: Workspace, holders: Callable[..., Holder]
) -> None:
    holder = holders(workspace.store_path)
    holder.wait_held()
    environment = {**os.environ, "ABMKPI_LOCK_WAIT": "0"}
    environment.pop("ABMKPI_WORKSPACE", None)

    result = subprocess.run(
        [
            *(sys.executable, "-m", "abmkpi", "-w", str(workspace.root)),
            *("--lang", "en", "kpi"),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert f"process {holder.pid} has it open" in result.stderr
    holder.release()


def test_stale_markers_ignored(tmp_path: Path) -> None:
    store = tmp_path / "abmkpi.duckdb"
    now = time.time()
    live = {"pid": os.getpid(), "since": now, "until": now + 60}
    expired = {"pid": os.getpid(), "since": now - 120, "until": now - 60}
    dead_pid = _ended_pid()
    dead = {"pid": dead_pid, "since": now, "until": now + 60}
    for name, document in (("1", live), ("2", expired), ("3", dead)):
        marker = tmp_path / f"{store.name}{MARKER_SUFFIX}{name}"
        marker.write_text(json.dumps(document), encoding="utf-8")

    assert waiting_processes(store, now) == [os.getpid()]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"{store.name}{MARKER_SUFFIX}1"]


def test_special_marker_files_skipped(tmp_path: Path) -> None:
    store = tmp_path / "abmkpi.duckdb"
    os.mkfifo(tmp_path / f"{store.name}{MARKER_SUFFIX}pipe")
    (tmp_path / f"{store.name}{MARKER_SUFFIX}folder").mkdir()
    (tmp_path / f"{store.name}{MARKER_SUFFIX}link").symlink_to("/dev/zero")

    # Opening the pipe for reading would block until a writer appears.
    assert waiting_processes(store) == []
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        f"{store.name}{MARKER_SUFFIX}folder",
        f"{store.name}{MARKER_SUFFIX}link",
    ]


def _ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=60)
    return process.pid


def test_scheduler_skips_busy_tick(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    message = "the workspace is busy: process 1 has it open"

    @contextmanager
    def busy() -> Iterator[Store]:
        raise StoreBusyError(message, 1)
        yield  # pragma: no cover

    scheduler = ReportScheduler(workspace, busy, busy)
    with caplog.at_level(logging.INFO, logger="abmkpi.reports.scheduler"):
        assert scheduler.tick() == []
        assert scheduler.tick() == []
    skipped = [r for r in caplog.records if message in r.getMessage()]
    assert len(skipped) == 1
    assert skipped[0].levelno == logging.WARNING
    assert "retrying later" in skipped[0].getMessage()
