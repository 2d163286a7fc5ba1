"""Notifications of a handoff on real channels: a webhook receiver and an SMTP
server on 127.0.0.1, and the CSV queue file. Retries run with a chosen clock."""

from __future__ import annotations

import csv
import logging
import subprocess
import sys
import threading
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from abmkpi.config_template import default_config_text
from abmkpi.config_workflow import EmailSettings, WebhookSettings
from abmkpi.errors import ConfigError, DeliveryError
from abmkpi.handoff.records import get_handoff, list_handoffs
from abmkpi.notify import Message, deliver_due, deliveries_of
from abmkpi.notify.csv_queue import TASK_COLUMNS, append_task, task_row
from abmkpi.notify.deliveries import (
    CLAIM_SECONDS,
    Channel,
    attempt,
    channels_for,
    claim_due,
    record_attempt,
    release,
)
from abmkpi.notify.email import send_email
from abmkpi.notify.webhook import send_webhook, slack_payload
from abmkpi.periods import business_date
from abmkpi.workspace import Workspace
from tests.handoff_support import (
    OWNER_ID,
    TARGET_ID,
    TARGET_NAME,
    copy_workspace,
    form_fills,
    ingest,
    salesforce_workspace,
    smtp_server,
    utc_now,
    webhook_receiver,
)
from tests.test_handoffs import task_csv
from tests.web_support import free_port


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("notify-template")

    def make(**overrides: Any) -> Workspace:
        document = tomlkit.parse(default_config_text())
        for section, values in overrides.items():
            document[section] = values
        return Workspace.init(root / "ws", tomlkit.dumps(document))

    return salesforce_workspace(make, root)


def hand_off(workspace: Workspace) -> int:
    """Push the target account over the threshold; return the handoff id."""
    with workspace.open_store() as store:
        result = ingest(workspace, store, form_fills("a", utc_now(), 3))
    (handoff_id,) = result.handoff_ids
    return handoff_id


def states(workspace: Workspace, handoff_id: int) -> dict[str, Any]:
    with workspace.open_store(read_only=True) as store:
        rows = deliveries_of(store, "handoff", [str(handoff_id)])
    return {row.channel: row for row in rows}


def test_webhook_retried_until_up(
    template: Workspace, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    workspace = copy_workspace(
        template,
        tmp_path / "ws",
        notify={
            "retry_base_seconds": 30,
            "retry_max_seconds": 45,
            "dashboard_url": "http://abm.test",
            "webhook": {"url": f"http://127.0.0.1:{port}/hook"},
        },
    )
    handoff_id = hand_off(workspace)
    created = states(workspace, handoff_id)["webhook"].created_at
    settings, root = workspace.settings, workspace.root

    with (
        caplog.at_level(logging.WARNING, logger="abmkpi.notify"),
        workspace.open_store() as store,
    ):
        first = deliver_due(store, settings, root, created)
        early = deliver_due(store, settings, root, created + timedelta(seconds=29))
        second = deliver_due(store, settings, root, created + timedelta(seconds=30))
    pending = states(workspace, handoff_id)["webhook"]
    assert (first.delivered, first.retrying) == (1, 1)  # the CSV row went out
    assert (early.delivered, early.retrying) == (0, 0)
    assert second.retrying == 1
    assert pending.status == "pending"
    assert pending.attempts == 2
    # Waits: 30 s after the first failure, then 60 s capped at 45 s.
    assert pending.next_attempt_at == created + timedelta(seconds=75)
    assert "Connect" in (pending.last_error or "")
    assert f"delivery {pending.id} of handoff {handoff_id} on webhook" in caplog.text

    with webhook_receiver(port) as receiver, workspace.open_store() as store:
        third = deliver_due(store, settings, root, created + timedelta(seconds=75))
        handoffs = list_handoffs(store)
    delivered = states(workspace, handoff_id)["webhook"]
    assert third.delivered == 1
    assert delivered.status == "delivered"
    assert delivered.attempts == 3
    assert delivered.next_attempt_at is None
    assert len(receiver.bodies) == 1
    assert TARGET_NAME in receiver.bodies[0]["text"]
    assert (
        f"http://abm.test/handoffs#handoff-{handoff_id}" in receiver.bodies[0]["text"]
    )
    assert [item.id for item in handoffs] == [handoff_id]


def test_claimed_delivery_sent_once(template: Workspace, tmp_path: Path) -> None:
    port = free_port()
    workspace = copy_workspace(
        template,
        tmp_path / "ws",
        notify={"webhook": {"url": f"http://127.0.0.1:{port}/hook"}},
    )
    handoff_id = hand_off(workspace)
    created = states(workspace, handoff_id)["webhook"].created_at
    settings, root = workspace.settings, workspace.root
    later = created + timedelta(seconds=60)

    with webhook_receiver(port) as receiver, workspace.open_store() as store:
        # The server's notifier claims both rows, then a CLI pass runs.
        claimed = claim_due(store, created)
        during_claim = deliver_due(store, settings, root, later)
        for delivery in claimed:
            error = attempt(delivery, settings, root)
            record_attempt(store, delivery, error, settings, later)
        after_send = deliver_due(store, settings, root, later)

    assert sorted(item.channel for item in claimed) == ["csv", "webhook"]
    assert (during_claim.delivered, during_claim.retrying) == (0, 0)
    assert (after_send.delivered, after_send.retrying) == (0, 0)
    assert len(receiver.bodies) == 1
    assert states(workspace, handoff_id)["webhook"].status == "delivered"


def test_claim_released_or_expired(template: Workspace, tmp_path: Path) -> None:
    port = free_port()
    workspace = copy_workspace(
        template,
        tmp_path / "ws",
        notify={"webhook": {"url": f"http://127.0.0.1:{port}/hook"}},
    )
    handoff_id = hand_off(workspace)
    created = states(workspace, handoff_id)["webhook"].created_at
    settings, root = workspace.settings, workspace.root
    expiry = created + timedelta(seconds=CLAIM_SECONDS)

    with webhook_receiver(port) as receiver, workspace.open_store() as store:
        released = claim_due(store, created)
        release(store, released)
        reclaimed = claim_due(store, created)
        # The claimer dies without storing an outcome: the rows wait out the
        # claim, then a later pass sends them.
        before_expiry = deliver_due(
            store, settings, root, expiry - timedelta(seconds=1)
        )
        at_expiry = deliver_due(store, settings, root, expiry)

    assert [item.id for item in reclaimed] == [item.id for item in released]
    assert before_expiry.delivered == 0
    assert at_expiry.delivered == 2
    assert len(receiver.bodies) == 1


def test_delivery_fails_after_max(template: Workspace, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    workspace = copy_workspace(
        template, tmp_path / "ws", notify={"max_attempts": 2, "webhook": {"url": url}}
    )
    handoff_id = hand_off(workspace)
    created = states(workspace, handoff_id)["webhook"].created_at
    with workspace.open_store() as store:
        deliver_due(store, workspace.settings, workspace.root, created)
        run = deliver_due(
            store, workspace.settings, workspace.root, created + timedelta(hours=1)
        )
        kept = get_handoff(store, handoff_id)
    failed = states(workspace, handoff_id)["webhook"]
    assert run.failed == 1
    assert failed.status == "failed"
    assert failed.attempts == 2
    assert failed.next_attempt_at is None
    assert kept.id == handoff_id


def test_smtp_mail_names_account(template: Workspace, tmp_path: Path) -> None:
    port = free_port()
    email = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "starttls": False,
        "recipients": ["sales@example.com"],
    }
    workspace = copy_workspace(
        template, tmp_path / "ws", notify={"csv_queue": "", "email": email}
    )
    handoff_id = hand_off(workspace)
    with smtp_server(port) as server, workspace.open_store() as store:
        run = deliver_due(store, workspace.settings, workspace.root)
    assert run.delivered == 1
    assert set(states(workspace, handoff_id)) == {"email"}
    assert len(server.messages) == 1
    envelope = server.messages[0]
    mail = message_from_bytes(envelope.content)
    subject = str(make_header(decode_header(mail["Subject"])))
    assert envelope.rcpt_tos == ["sales@example.com"]
    # The workspace language is Japanese, the default.
    assert subject.startswith(f"MQA 到達: {TARGET_NAME}（現在のスコア ")


def test_csv_queue_task_row(template: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(template, tmp_path / "ws")
    handoff_id = hand_off(workspace)
    with workspace.open_store() as store:
        deliver_due(store, workspace.settings, workspace.root)
        handoff = get_handoff(store, handoff_id)
    path = workspace.root / "handoffs" / "queue.csv"
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    due = business_date(handoff.sla_due_at, "Asia/Tokyo").isoformat()
    assert reader.fieldnames == TASK_COLUMNS
    assert len(rows) == 1
    assert rows[0]["WhatId"] == TARGET_ID
    assert rows[0]["OwnerId"] == OWNER_ID
    assert (
        rows[0]["Subject"]
        == f"MQA 到達: {TARGET_NAME}（現在のスコア {handoff.score:.1f}）"
    )
    assert rows[0]["ActivityDate"] == due
    assert rows[0]["Status"] == "Not Started"
    assert rows[0]["Priority"] == "High"
    assert "山田 太郎, CEO [decision_maker]" in rows[0]["Description"]
    assert rows[0]["Description"].startswith("到達時のスコア: 30.0（MQA しきい値 25）")


def test_task_owner_name_in_description() -> None:
    row = task_row(Message(title="MQA", owner_id="中村 由美"))
    assert row["OwnerId"] == ""
    assert row["Description"] == "Owner: 中村 由美"


def test_task_owner_not_repeated() -> None:
    message = Message(
        title="MQA", fields=[("担当者", "中村 由美")], owner_id="中村 由美"
    )
    assert task_row(message)["Description"] == "担当者: 中村 由美"


def test_task_owner_user_id() -> None:
    row = task_row(Message(title="MQA", owner_id="005000000000001"))
    assert row["OwnerId"] == "005000000000001"


def test_task_cells_quote_formulas() -> None:
    row = task_row(Message(title='=HYPERLINK("http://x")', record_id="-1+1"))
    assert row["Subject"] == '\'=HYPERLINK("http://x")'
    assert row["WhatId"] == "'-1+1"


def test_payload_escapes_markup() -> None:
    message = Message(
        title="MQA: A&B <Co>",
        lines=["score 30.0"],
        fields=[("Account", "<A&B>")],
        link="http://abm.test/handoffs",
    )
    payload = slack_payload(message)
    assert payload["blocks"][0]["text"]["text"] == "MQA: A&B <Co>"
    assert payload["blocks"][2]["fields"][0]["text"] == "*Account*\n&lt;A&amp;B&gt;"
    assert payload["blocks"][3]["text"]["text"] == (
        "<http://abm.test/handoffs|http://abm.test/handoffs>"
    )
    assert payload["text"].startswith("MQA: A&B <Co>\n\nscore 30.0")


def test_smtp_mail_attaches_files(tmp_path: Path) -> None:
    port = free_port()
    settings = EmailSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        starttls=False,
        recipients=["revops@example.com"],
    )
    (tmp_path / "pack.xlsx").write_bytes(b"PK\x03\x04xlsx")
    (tmp_path / "pack.pdf").write_bytes(b"%PDF-1.7")
    message = Message(title="Weekly", attachments=["pack.xlsx", "pack.pdf"])
    with smtp_server(port) as server:
        send_email(message, settings, tmp_path)
    mail = message_from_bytes(server.messages[0].content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    files = {
        part.get_filename(): part.get_payload(decode=True)
        for part in mail.iter_attachments()
    }
    assert files == {"pack.xlsx": b"PK\x03\x04xlsx", "pack.pdf": b"%PDF-1.7"}


def test_message_keeps_attachments() -> None:
    message = Message(title="Weekly", attachment="a.pdf", attachments=["b.xlsx"])
    copy = Message.from_dict(message.to_dict())
    assert copy.files == ["a.pdf", "b.xlsx"]


def test_report_skips_csv_queue(template: Workspace) -> None:
    settings = template.settings.model_copy(deep=True)
    settings.notify.csv_queue = "tasks.csv"
    settings.notify.webhook.url = "http://127.0.0.1:9/hook"
    message = Message(title="Weekly")
    assert channels_for(settings, message, "report") == [Channel.WEBHOOK]
    assert channels_for(settings, message, "handoff") == [
        Channel.WEBHOOK,
        Channel.CSV,
    ]


def test_webhook_error_body_read_partly() -> None:
    """A 500 with a 20 MB body fails with a short message, read in part only."""
    sent: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(500)
            self.send_header("Content-Length", str(20 * 2**20))
            self.end_headers()
            chunk = b"x" * 2**16
            try:
                for _ in range(320):
                    self.wfile.write(chunk)
                    sent.append(len(chunk))
            except OSError:
                return  # the client stopped reading

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        settings = WebhookSettings(url=url, timeout_seconds=10)
        with pytest.raises(DeliveryError) as caught:
            send_webhook(Message(title="Report", lines=["line"]), settings)
    finally:
        server.shutdown()
        server.server_close()
    text = str(caught.value)
    assert text.startswith("webhook returned HTTP 500: xxx")
    assert len(text) < 1000
    assert sum(sent) < 20 * 2**20


def test_csv_queue_appends_in_place(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "tasks.csv"
    target.parent.mkdir()
    target.write_bytes(b"")
    target.chmod(0o664)
    link = tmp_path / "queue.csv"
    link.symlink_to(target)
    append_task(Message(title="First", record_id="001A"), link)
    append_task(Message(title="Second", record_id="001B"), link)
    assert link.is_symlink()
    assert target.stat().st_mode & 0o777 == 0o664
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert [row["Subject"] for row in rows] == ["First", "Second"]


@pytest.mark.parametrize("special", ["folder", "/dev/full"])
def test_csv_queue_rejects_special_file(tmp_path: Path, special: str) -> None:
    path = tmp_path if special == "folder" else Path(special)
    with pytest.raises(DeliveryError) as caught:
        append_task(Message(title="Task"), path)
    assert "is not a regular file" in str(caught.value)


class SlowReceiver:
    """An HTTP server on 127.0.0.1 that holds every POST until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.requests += 1
                # Bounded, so a test that fails still ends.
                receiver.release.wait(timeout=60)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlowReceiver:
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _slow_webhook_workspace(template: Workspace, root: Path, url: str) -> Workspace:
    webhook = {"url": url, "timeout_seconds": 0.5}
    return copy_workspace(template, root, notify={"webhook": webhook})


def test_slow_webhook_times_out(template: Workspace, tmp_path: Path) -> None:
    with SlowReceiver() as receiver:
        workspace = _slow_webhook_workspace(template, tmp_path / "ws", receiver.url)
        handoff_id = hand_off(workspace)
        runs: list[Any] = []

        def deliver() -> None:
            with workspace.open_store() as store:
                runs.append(deliver_due(store, workspace.settings, workspace.root))

        sender = threading.Thread(target=deliver, daemon=True)
        sender.start()
        sender.join(timeout=10)
        assert not sender.is_alive()
    webhook = states(workspace, handoff_id)["webhook"]
    assert receiver.requests == 1
    assert (runs[0].delivered, runs[0].retrying) == (1, 1)  # the CSV row went out
    assert webhook.status == "pending"
    assert webhook.attempts == 1
    assert webhook.last_error == "webhook timed out after 0.5 s (ReadTimeout)"
    assert states(workspace, handoff_id)["csv"].status == "delivered"


def test_timed_out_channel_waits(template: Workspace, tmp_path: Path) -> None:
    # Two handoffs queued on a webhook that times out: the second is not
    # tried in the same pass, so the pass waits for one timeout only.
    with SlowReceiver() as receiver:
        workspace = _slow_webhook_workspace(template, tmp_path / "ws", receiver.url)
        first = hand_off(workspace)
        with workspace.open_store() as store:
            store.execute(
                "INSERT INTO deliveries (id, subject_kind, subject_id, channel, "
                "status, attempts, created_at, next_attempt_at, payload) "
                "SELECT nextval('delivery_ids'), subject_kind, 'copy', channel, "
                "status, attempts, created_at, next_attempt_at, payload "
                "FROM deliveries WHERE channel = 'webhook'"
            )
            run = deliver_due(store, workspace.settings, workspace.root)
            copy = store.fetch_one(
                "SELECT status, attempts FROM deliveries WHERE subject_id = 'copy'"
            )
    assert receiver.requests == 1
    assert (run.delivered, run.retrying) == (1, 1)
    assert states(workspace, first)["webhook"].attempts == 1
    assert copy == ("pending", 0)


def test_cli_import_ends_on_slow_webhook(template: Workspace, tmp_path: Path) -> None:
    # The handoff's webhook message is queued; the import that follows sends
    # what is due, and must end although the webhook never responds in time.
    called = (utc_now() - timedelta(minutes=10)).isoformat() + ".000Z"
    task = task_csv(tmp_path / "Task.csv", "00T000000000009AAA", called, "Call")
    with SlowReceiver() as receiver:
        workspace = _slow_webhook_workspace(template, tmp_path / "ws", receiver.url)
        handoff_id = hand_off(workspace)
        result = subprocess.run(
            [sys.executable, "-m", "abmkpi", "-w", str(workspace.root), "import",
             "salesforce", str(task), "--format", "json"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    webhook = states(workspace, handoff_id)["webhook"]
    assert result.returncode == 0, result.stderr
    assert receiver.requests == 1
    assert webhook.status == "pending"
    assert webhook.attempts == 1
    assert webhook.last_error == "webhook timed out after 0.5 s (ReadTimeout)"
    assert states(workspace, handoff_id)["csv"].status == "delivered"


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        (
            {"recipients": ["sales@example.com", "sales"]},
            "  notify.email.recipients.1: invalid e-mail address 'sales': An email "
            "address must have an @-sign. (value 'sales')",
        ),
        (
            {"recipients": ["Sales <sales@example.com>"]},
            "  notify.email.recipients.0: invalid e-mail address 'Sales "
            "<sales@example.com>': write the address alone, without a display name "
            "or angle brackets (value 'Sales <sales@example.com>')",
        ),
        (
            {"sender": "ABM <abm.example.com>"},
            "  notify.email.sender: invalid e-mail address 'ABM <abm.example.com>': "
            "An email address must have an @-sign. (value 'ABM <abm.example.com>')",
        ),
        (
            {"sender": "abm@@example.com"},
            "  notify.email.sender: invalid e-mail address 'abm@@example.com': The "
            "part after the @-sign contains invalid characters: '@'. (value "
            "'abm@@example.com')",
        ),
    ],
)
def test_email_address_rejected_at_load(
    template: Workspace, tmp_path: Path, email: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        copy_workspace(template, tmp_path / "ws", notify={"email": email})
    lines = str(raised.value).splitlines()
    assert lines[0].endswith("abmkpi.toml: 1 invalid setting(s)")
    assert lines[1:] == [expected]


def test_email_sender_display_name(template: Workspace, tmp_path: Path) -> None:
    email = {"sender": "ABM 通知 <abm@example.co.jp>", "recipients": ["a@mail"]}
    workspace = copy_workspace(template, tmp_path / "ws", notify={"email": email})
    assert workspace.settings.notify.email.sender == "ABM 通知 <abm@example.co.jp>"
    assert workspace.settings.notify.email.recipients == ["a@mail"]


def test_csv_queue_absolute_path(template: Workspace, tmp_path: Path) -> None:
    queue = tmp_path / "loader" / "tasks.csv"
    workspace = copy_workspace(
        template, tmp_path / "ws", notify={"csv_queue": str(queue)}
    )
    hand_off(workspace)
    with workspace.open_store() as store:
        run = deliver_due(store, workspace.settings, workspace.root)
    with queue.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert run.delivered == 1
    assert [row["WhatId"] for row in rows] == [TARGET_ID]
    assert not (workspace.root / "handoffs" / "queue.csv").exists()
