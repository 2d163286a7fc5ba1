"""A small Salesforce workspace, live events and local receivers for the
handoff and notification tests.

The receivers are real servers on 127.0.0.1: an HTTP server in a thread that
records webhook posts, and an aiosmtpd SMTP server that records mail.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import tomlkit
from aiosmtpd.controller import Controller

from abmkpi.canonical import ActivityType
from abmkpi.config_template import default_config_text
from abmkpi.ingest import IngestResult, LiveEvent, ingest_events
from abmkpi.matching.freemail import resolve_free_mail
from abmkpi.store.database import Store
from abmkpi.targets import TargetEntry, set_list
from abmkpi.workspace import Workspace
from tests.salesforce_support import csv_text, run_import, write

TARGET_ID = "001000000000001AAA"
OTHER_ID = "001000000000002AAA"
OWNER_ID = "005000000000001AAA"
TARGET = f"salesforce:{TARGET_ID}"
OTHER = f"salesforce:{OTHER_ID}"
TARGET_NAME = "株式会社ハンドオフ商事"
BUYER_EMAIL = "ceo@handoff.example.co.jp"

# Weights as the default config; multipliers of 1 keep scores hand-computable:
# three form fills (10 points each) 2 h, 1 h and 0 h before an instant score
# 10 × (2^(-2/720) + 2^(-1/720) + 1) = 29.9711 with a 30-day half-life.
ENGAGEMENT = {
    "mqa_threshold": 25,
    "tier_multipliers": {"1": 1.0},
    "persona_multipliers": {
        "decision_maker": 1.0,
        "influencer": 1.0,
        "user": 1.0,
        "unknown": 1.0,
    },
}
SCORE_AT_CROSSING = 10 * (2 ** (-2 / 720) + 2 ** (-1 / 720) + 1)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def salesforce_workspace(
    make_workspace: Callable[..., Workspace], tmp_path: Path, **overrides: Any
) -> Workspace:
    """Two accounts (one a tier-1 target, owned by a user id) with a CEO each."""
    workspace = make_workspace(engagement=ENGAGEMENT, **overrides)
    exports = tmp_path / "exports"
    exports.mkdir(exist_ok=True)
    accounts = write(
        exports / "Account.csv",
        csv_text(
            "Id,Name,Website,OwnerId",
            f"{TARGET_ID},{TARGET_NAME},https://handoff.example.co.jp,{OWNER_ID}",
            f"{OTHER_ID},Other Corp,https://other.example.com,{OWNER_ID}",
        ),
    )
    contacts = write(
        exports / "Contact.csv",
        csv_text(
            "Id,AccountId,FirstName,LastName,Email,Title",
            f"003000000000001AAA,{TARGET_ID},太郎,山田,{BUYER_EMAIL},CEO",
            f"003000000000002AAA,{OTHER_ID},Ann,Lee,ceo@other.example.com,CEO",
        ),
    )
    run_import(workspace, accounts, contacts)
    with workspace.open_store() as store:
        set_list(store, workspace.settings, [TargetEntry(TARGET_ID, "id", 1)])
    return workspace


def salesforce_template(root: Path) -> Workspace:
    """Build :func:`salesforce_workspace` under ``root``, for a module-scoped
    fixture whose tests copy it with :func:`copy_workspace`."""
    counter = iter(range(10))

    def make(**overrides: Any) -> Workspace:
        document = tomlkit.parse(default_config_text())
        for section, values in overrides.items():
            document[section] = values
        return Workspace.init(root / f"ws{next(counter)}", tomlkit.dumps(document))

    return salesforce_workspace(make, root)


def copy_workspace(template: Workspace, root: Path, **overrides: Any) -> Workspace:
    """Copy a workspace to ``root`` and change its config (section: values)."""
    shutil.copytree(template.root, root)
    config = root / template.config_path.name
    document = tomlkit.parse(config.read_text("utf-8"))
    for section, values in overrides.items():
        table = document.setdefault(section, tomlkit.table())
        for key, value in values.items():
            table[key] = value
    config.write_text(tomlkit.dumps(document), "utf-8")
    return Workspace.load(root)


def form_fills(
    prefix: str, ends_at: datetime, count: int, email: str = BUYER_EMAIL
) -> list[LiveEvent]:
    """``count`` form fills an hour apart, the last at ``ends_at``."""
    return [
        LiveEvent(
            f"{prefix}-{index}",
            ends_at - timedelta(hours=count - 1 - index),
            ActivityType.FORM_FILL,
            email=email,
        )
        for index in range(count)
    ]


def event_json(event: LiveEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "occurred_at": event.occurred_at.isoformat() + "Z",
        "type": event.type.value,
        "email": event.email,
    }


def ingest(workspace: Workspace, store: Store, events: list[LiveEvent]) -> IngestResult:
    free_mail = resolve_free_mail(workspace.settings.matching, workspace.root)
    return ingest_events(store, workspace.settings, free_mail, events)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records the JSON body of every POST."""

    def __init__(self, port: int):
        self.port = port
        self.bodies: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def webhook_receiver(port: int) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(port)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


class MailRecorder:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@contextmanager
def smtp_server(port: int) -> Iterator[MailRecorder]:
    recorder = MailRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
