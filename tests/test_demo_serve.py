"""`abmkpi demo` builds the demo workspace, prints the URL and serves it,
logs each request, and stops cleanly on Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.browser_support import free_port


def test_demo_serves_dashboard(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "demo.log"
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    environment.pop("ABMKPI_WORKSPACE", None)
    command = [sys.executable, "-m", "abmkpi", "demo", "--dir", tmp_path / "demo"]
    command += ["--accounts", "50", "--activities", "1000", "--targets", "3"]
    command += ["--end-date", "2024-11-20", "--port", str(port)]
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(part) for part in command],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        try:
            response = _first_response(process, f"http://127.0.0.1:{port}/login")
            with httpx.stream(
                "GET", f"http://127.0.0.1:{port}/api/v1/events", timeout=10
            ) as events:
                first_line = next(events.iter_lines())
                # Ctrl+C while a dashboard keeps its event stream open.
                process.send_signal(signal.SIGINT)
                process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=20)
    output = log_path.read_text(encoding="utf-8")
    assert f"open http://127.0.0.1:{port}/" in output
    assert response.status_code == 200
    assert first_line == ": connected"
    assert "abmkpi.web.app: GET /login 200 " in output
    assert "Application shutdown complete." in output
    assert "Traceback" not in output


def _first_response(process: subprocess.Popen[bytes], url: str) -> httpx.Response:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"abmkpi demo exited with {process.returncode}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.5)
    raise AssertionError(f"abmkpi demo did not serve {url} within 180 s")
