#!/usr/bin/env python
"""Load benchmark of live ingest: a real server, batches from several clients.

Builds a demo workspace (or uses --workspace), starts ``abmkpi serve`` on
127.0.0.1 in a subprocess, and sends a bounded number of batches of
activity events from --concurrency threads while a dashboard stand-in
listens on /api/v1/events and re-fetches /api/v1/kpis after every event.
Prints sustained events per second, request latency percentiles and the
visibility latency: from a batch's response to the end of the first KPI
re-fetch that includes it. All figures are for the whole server process on
this machine, client threads included; nothing here is a timed test. The
events stay in the workspace, so pass --workspace only for a copy.

    PYTHONPATH=src python scripts/bench_ingest.py --batches 200 --batch-size 500
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from abmkpi.demo import DemoSize, generate
from abmkpi.tokens import Role, create_token
from abmkpi.workspace import Workspace

TYPES = ("web_visit", "email_click", "content_download", "form_fill", "ad_click")


@dataclass
class Targets:
    """The account ids, website domains and known addresses events name."""

    accounts: list[str]
    domains: list[str]
    emails: list[str]


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    inserted: int = 0
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)
    answered: dict[int, float] = field(default_factory=dict)  # version → time
    visible: dict[int, float] = field(default_factory=dict)  # version → time
    lock: threading.Lock = field(default_factory=threading.Lock)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="Existing demo workspace.")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--activities", type=int, default=150_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--timeout", type=float, default=600, help="Seconds before sending stops."
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--server-log", type=Path, help="Write the server's debug log to this file."
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="Time validation and ingest_events alone, one batch at a time, "
        "without a server.",
    )
    return parser.parse_args()


def prepare(
    args: argparse.Namespace, scratch: Path
) -> tuple[Workspace, dict[str, str]]:
    """Return the workspace (built when not given) and fresh tokens."""
    if args.workspace is not None:
        workspace = Workspace.load(args.workspace)
    else:
        workspace = Workspace.init(scratch / "workspace")
        size = DemoSize(accounts=args.accounts, activities=args.activities)
        started = time.perf_counter()
        generate(workspace, size, seed=7)
        print(f"built the demo workspace in {time.perf_counter() - started:.1f}s")
        workspace = Workspace.load(workspace.root)
    with workspace.open_store() as store:
        tokens = {
            role.value: create_token(store, f"bench {role.value}", role)[1]
            for role in (Role.EDITOR, Role.VIEWER)
        }
    return workspace, tokens


def read_targets(workspace: Workspace) -> Targets:
    with workspace.open_store(read_only=True) as store:
        accounts = [row[0] for row in store.fetch_all("SELECT id FROM accounts")]
        domains = [
            row[0]
            for row in store.fetch_all(
                "SELECT domain FROM account_domains WHERE origin = 'website'"
            )
        ]
        emails = [
            row[0]
            for row in store.fetch_all(
                "SELECT email FROM people WHERE email IS NOT NULL LIMIT 5000"
            )
        ]
    return Targets(accounts, domains, emails)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    workspace: Workspace, port: int, log: Path | None
) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    command = [sys.executable, "-m", "abmkpi", "-w", str(workspace.root)]
    if log is not None:
        command.append("-vv")
    command += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    errors = subprocess.DEVNULL if log is None else log.open("wb")
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=errors
    )


def wait_until_up(url: str, token: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            response = httpx.get(
                f"{url}/api/v1/health",
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def make_batch(
    number: int, size: int, targets: Targets, rng: random.Random
) -> dict[str, Any]:
    """Return a batch: a quarter each by account id, known address, new
    address at an account's domain, and company domain alone."""
    now = datetime.now(UTC)
    events = []
    for index in range(size):
        event: dict[str, Any] = {
            "event_id": f"bench-{number}-{index}",
            "occurred_at": (now - timedelta(seconds=rng.randint(0, 3600))).isoformat(),
            "type": rng.choice(TYPES),
            "source": "bench",
        }
        kind = index % 4
        if kind == 0:
            event["account_id"] = rng.choice(targets.accounts)
        elif kind == 1:
            event["email"] = rng.choice(targets.emails)
        elif kind == 2:
            event["email"] = f"visitor{number}x{index}@{rng.choice(targets.domains)}"
        else:
            event["domain"] = rng.choice(targets.domains)
        events.append(event)
    return {"events": events}


def send(
    url: str, token: str, batch: dict[str, Any], results: Results, deadline: float
) -> None:
    if time.monotonic() > deadline:
        return
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    try:
        response = httpx.post(
            f"{url}/api/v1/activities", json=batch, headers=headers, timeout=120
        )
    except httpx.HTTPError as error:
        with results.lock:
            results.failures.append(type(error).__name__)
        return
    elapsed = time.perf_counter() - started
    with results.lock:
        if response.status_code != 200:
            results.failures.append(f"{response.status_code} {response.text[:200]}")
            return
        document = response.json()
        results.latencies.append(elapsed)
        results.inserted += document["inserted"]
        results.duplicates += document["duplicates"]
        results.answered[document["data_version"]] = time.monotonic()


def dashboard(url: str, token: str, results: Results, stop: threading.Event) -> None:
    """Re-fetch the KPIs after every event, as the dashboard's script does."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        client.get("/api/v1/kpis").raise_for_status()
        with client.stream("GET", "/api/v1/events", timeout=None) as stream:
            for data in events_of(stream.iter_lines()):
                client.get("/api/v1/kpis").raise_for_status()
                with results.lock:
                    results.visible.setdefault(data["data_version"], time.monotonic())
                if stop.is_set():
                    return


def events_of(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    name = None
    for line in lines:
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name == "activities":
            yield json.loads(line.split(":", 1)[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def visibility(results: Results) -> list[float]:
    """Seconds from each batch's response to the first KPI re-fetch that
    covers its data version."""
    shown = sorted(results.visible.items())
    delays = []
    for version, answered in results.answered.items():
        later = [moment for seen, moment in shown if seen >= version]
        if later:
            delays.append(max(0.0, min(later) - answered))
    return delays


def report(args: argparse.Namespace, results: Results, seconds: float) -> None:
    latencies = results.latencies
    print(
        f"{len(latencies)} batches of {args.batch_size} events, concurrency "
        f"{args.concurrency}, in {seconds:.1f}s"
    )
    print(
        f"inserted {results.inserted:,} events: {results.inserted / seconds:,.0f} "
        f"events/s sustained; {len(results.failures)} failed requests"
    )
    if latencies:
        print(
            f"request latency: p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
        )
    delays = visibility(results)
    if delays:
        print(
            f"visible on the dashboard after: p50 {statistics.median(delays):.2f} s, "
            f"p99 {percentile(delays, 0.99):.2f} s ({len(delays)} batches)"
        )
    for failure in results.failures[:5]:
        print(f"  failure: {failure}")


def run_in_process(args: argparse.Namespace, workspace: Workspace) -> None:
    """Time the API's batch validation and ingest_events in this process."""
    from abmkpi.ingest import ingest_events
    from abmkpi.matching.freemail import resolve_free_mail
    from abmkpi.web.ingest import ActivityBatch

    targets = read_targets(workspace)
    rng = random.Random(args.seed)
    batches = [
        make_batch(n, args.batch_size, targets, rng) for n in range(args.batches)
    ]
    free_mail = resolve_free_mail(workspace.settings.matching, workspace.root)
    times = []
    with workspace.open_store() as store:
        for batch in batches:
            started = time.perf_counter()
            events = [
                item.to_event() for item in ActivityBatch.model_validate(batch).events
            ]
            ingest_events(store, workspace.settings, free_mail, events)
            times.append(time.perf_counter() - started)
    print(
        f"in process: {len(times)} batches of {args.batch_size} events, "
        f"p50 {statistics.median(times) * 1000:.0f} ms per batch, "
        f"{args.batch_size * len(times) / sum(times):,.0f} events/s"
    )


def run(args: argparse.Namespace, scratch: Path) -> None:
    workspace, tokens = prepare(args, scratch)
    if args.in_process:
        run_in_process(args, workspace)
        return
    targets = read_targets(workspace)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(workspace, port, args.server_log)
    try:
        wait_until_up(url, tokens["viewer"], time.monotonic() + 120)
        results = Results()
        stop = threading.Event()
        watcher = threading.Thread(
            target=dashboard, args=(url, tokens["viewer"], results, stop), daemon=True
        )
        watcher.start()
        time.sleep(5)  # the first KPI computation, before the clock starts
        rng = random.Random(args.seed)
        batches = [
            make_batch(n, args.batch_size, targets, rng) for n in range(args.batches)
        ]
        deadline = time.monotonic() + args.timeout
        started = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [
                pool.submit(send, url, tokens["editor"], batch, results, deadline)
                for batch in batches
            ]
            for future in as_completed(futures):
                future.result()
        seconds = time.monotonic() - started
        time.sleep(3)  # let the last event and re-fetch arrive
        stop.set()
        report(args, results, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="abmkpi-bench-") as scratch:
        run(args, Path(scratch))


if __name__ == "__main__":
    main()
