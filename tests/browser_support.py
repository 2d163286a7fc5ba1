"""The dashboard in a real browser: a served workspace and headless Chromium.

The server is the real ``abmkpi serve`` command in a subprocess on a free
127.0.0.1 port. The browser is the system's Chromium driven by Playwright,
never a browser that Playwright downloads.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.cli_support import run_cli, run_json

REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The workspace's shown period: complete, so its KPIs do not move with the clock.
PERIOD = "FY2024-Q2"
END_DATE = "2024-11-20"

SCRIPT_NAME = "<script>alert(1)</script>"
IMAGE_DEAL = "<img src=x onerror=alert(2)>"
XSS_ACCOUNT_ID = "salesforce:001X00000000XSSAAA"

_ACCOUNTS = (
    "Id,Name,Website,Industry,NumberOfEmployees,BillingState\n"
    f'001X00000000XSSAAA,"{SCRIPT_NAME}",xss-test.example,Software,120,東京都\n'
)
_CONTACTS = (
    "Id,AccountId,FirstName,LastName,Email,Title\n"
    "003X00000000XSSAAA,001X00000000XSSAAA,Aiko,Tanaka,aiko@xss-test.example,"
    "CTO\n"
)
_TASKS = (
    "Id,WhoId,WhatId,Subject,Type,TaskSubtype,Status,IsClosed,ActivityDate,"
    "CompletedDateTime,CreatedDate,IsDeleted\n"
    + "".join(
        f"00TX0000000XSS{index:02d}A,003X00000000XSSAAA,001X00000000XSSAAA,"
        f"Meeting,Meeting,Task,Completed,true,2024-09-{day:02d},"
        f"2024-09-{day:02d}T02:00:00.000+0000,2024-09-{day:02d}T01:00:00.000+0000,"
        "false\n"
        for index, day in enumerate((2, 9, 16, 20, 24, 26), start=1)
    )
)
_OPPORTUNITIES = (
    "Id,AccountId,Name,Type,StageName,Amount,CurrencyIsoCode,CreatedDate,"
    "CloseDate,IsClosed,IsWon,IsDeleted\n"
    f'006X00000000XSSAAA,001X00000000XSSAAA,"{IMAGE_DEAL}",New Business,'
    "Proposal,4200000,JPY,2024-09-03T01:00:00.000+0000,2024-12-20,false,false,"
    "false\n"
)


@dataclass
class WebWorkspace:
    """A small demo workspace with an account named like a script tag."""

    root: Path
    editor_token: str | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    # `abmkpi kpi` and `abmkpi accounts` of PERIOD, read before serving
    # because the server keeps the store open.
    kpis: dict[str, Any] = field(default_factory=dict)
    accounts: list[dict[str, Any]] = field(default_factory=list)


def build_web_workspace(directory: Path) -> WebWorkspace:
    """Build a 120-account demo, import the script-named account and target it."""
    root = directory / "workspace"
    run_cli(
        "demo",
        "--no-serve",
        "--dir",
        root,
        "--accounts",
        "120",
        "--activities",
        "6000",
        "--targets",
        "6",
        "--end-date",
        END_DATE,
        "--format",
        "json",
    )

    exports = directory / "exports"
    exports.mkdir()
    for name, text in (
        ("Account.csv", _ACCOUNTS),
        ("Contact.csv", _CONTACTS),
        ("Task.csv", _TASKS),
        ("Opportunity.csv", _OPPORTUNITIES),
    ):
        (exports / name).write_text(text, encoding="utf-8")
    run_cli("-w", root, "import", "salesforce", exports)

    targets = run_json("-w", root, "targets")["targets"]
    target_file = directory / "targets.csv"
    lines = ["id,tier", *(f"{row['id']},{row['tier']}" for row in targets)]
    lines.append(f"{XSS_ACCOUNT_ID},1")
    target_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_cli("-w", root, "targets", "set", target_file)

    workspace = WebWorkspace(
        root,
        targets=run_json("-w", root, "targets")["targets"],
        kpis=run_json("-w", root, "kpi", "--period", PERIOD),
        accounts=run_json("-w", root, "accounts", "--period", PERIOD, "--limit", "0")[
            "accounts"
        ],
    )
    if run_cli("token", "--help", check=False).returncode == 0:
        created = run_cli(
            "-w", root, "token", "create", "--name", "browser test", "--role", "editor"
        )
        workspace.editor_token = created.stdout.strip()
    return workspace


_SERVE = [sys.executable, "-m", "abmkpi"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServedWorkspace:
    """``abmkpi serve`` over a workspace in a subprocess on a free port."""

    def __init__(self, root: Path, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "NO_COLOR": "1"}
        environment.pop("ABMKPI_WORKSPACE", None)
        self.log = log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [*_SERVE, "-w", str(root), "serve", "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        self.log_path = log_path

    def wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text()}")
            try:
                if (
                    httpx.get(self.url + "/static/app.css", timeout=2).status_code
                    == 200
                ):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start in {timeout:.0f} s")

    def has_route(self, path: str) -> bool:
        schema = httpx.get(self.url + "/api/openapi.json", timeout=10).json()
        return path in schema.get("paths", {})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def chromium_path() -> str | None:
    """Return the system Chromium, or None when it is not installed."""
    configured = os.environ.get("ABMKPI_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None
