"""Sending report packs end to end: ``abmkpi report --send`` and a scheduled
run with ``reports.send``, to a webhook receiver and an SMTP server on
127.0.0.1 started by the test. The CSV queue is on, and must stay empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from abmkpi.demo import DemoSize, generate
from abmkpi.notify import deliveries_of
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.handoff_support import copy_workspace, smtp_server, webhook_receiver
from tests.web_support import free_port

END = date(2025, 3, 31)
SIZE = DemoSize(accounts=150, activities=6_000, target_accounts=12)
# 2025-03-24 is a Monday: the weekly pack fires at 08:00 in Tokyo.
MONDAY_MORNING = "2025-03-24T08:05:00+09:00"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("send-template") / "ws"
    workspace = Workspace.init(root)
    generate(workspace, SIZE, seed=11, end_date=END)
    return Workspace.load(root)


@dataclass
class Sent:
    workspace: Workspace
    bodies: list[dict[str, Any]]
    mails: list[EmailMessage]
    recipients: list[list[str]]
    output: str


def send_with(
    template: Workspace, root: Path, command: list[str], **config: Any
) -> Sent:
    """Copy the workspace with every channel on, run the command, and return
    what the webhook receiver and the SMTP server got."""
    web_port, mail_port = free_port(), free_port()
    notify = {
        "dashboard_url": "http://abm.test",
        "csv_queue": "tasks.csv",
        "webhook": {"url": f"http://127.0.0.1:{web_port}/hook"},
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": mail_port,
            "starttls": False,
            "recipients": ["revops@example.com"],
        },
    }
    workspace = copy_workspace(template, root, notify=notify, **config)
    with webhook_receiver(web_port) as receiver, smtp_server(mail_port) as server:
        result = run_cli("-w", root, *command)
    return Sent(
        workspace,
        receiver.bodies,
        [mail_of(envelope.content) for envelope in server.messages],
        [envelope.rcpt_tos for envelope in server.messages],
        result.stdout,
    )


@pytest.fixture(scope="module")
def manual(template: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Sent:
    command = ["report", "monthly", "--period", "2025-03", "--lang", "en"]
    command += ["--format", "html", "--format", "xlsx", "--send"]
    return send_with(template, tmp_path_factory.mktemp("manual") / "ws", command)


@pytest.fixture(scope="module")
def scheduled(template: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Sent:
    reports = {"send": True, "formats": ["xlsx"], "languages": ["ja"]}
    return send_with(
        template,
        tmp_path_factory.mktemp("scheduled") / "ws",
        ["schedule", "--run-due", "--now", MONDAY_MORNING],
        reports=reports,
    )


def mail_of(content: bytes) -> EmailMessage:
    mail = message_from_bytes(content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


def attachments(mail: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in mail.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


def test_send_one_webhook_message(manual: Sent) -> None:
    assert len(manual.bodies) == 1


def test_send_webhook_title(manual: Sent) -> None:
    header = manual.bodies[0]["blocks"][0]["text"]["text"]
    assert header == "Monthly ABM report: 2025-03"


def test_send_webhook_kpi_status(manual: Sent) -> None:
    # Headline KPIs as 'label: value (status)'; the demo sets no targets.
    lines = manual.bodies[0]["text"].splitlines()
    (mqa,) = [line for line in lines if line.startswith("MQA accounts: ")]
    assert mqa.endswith(" (No target)")


def test_send_webhook_link(manual: Sent) -> None:
    assert "http://abm.test" in manual.bodies[0]["text"]


def test_send_one_mail(manual: Sent) -> None:
    assert manual.recipients == [["revops@example.com"]]


def test_send_mail_subject(manual: Sent) -> None:
    assert manual.mails[0]["Subject"] == "Monthly ABM report: 2025-03"


def test_send_mail_attaches_xlsx(manual: Sent) -> None:
    files = attachments(manual.mails[0])
    (name,) = [name for name in files if name.endswith(".xlsx")]
    written = manual.workspace.root / "reports" / name
    assert files[name] == written.read_bytes()


def test_send_mail_attaches_html(manual: Sent) -> None:
    files = attachments(manual.mails[0])
    assert len([name for name in files if name.endswith(".html")]) == 1


def test_send_skips_csv_queue(manual: Sent) -> None:
    assert not (manual.workspace.root / "tasks.csv").exists()


def test_send_deliveries_delivered(manual: Sent) -> None:
    with manual.workspace.open_store(read_only=True) as store:
        (subject,) = store.fetch_one("SELECT subject_id FROM deliveries") or ()
        rows = deliveries_of(store, "report", [subject])
    assert {row.channel: row.status for row in rows} == {
        "email": "delivered",
        "webhook": "delivered",
    }


def test_send_prints_delivery_counts(manual: Sent) -> None:
    assert "通知の送信済み 2 件" in manual.output


def test_scheduled_send_one_message(scheduled: Sent) -> None:
    assert len(scheduled.bodies) == 1


def test_scheduled_send_title(scheduled: Sent) -> None:
    header = scheduled.bodies[0]["blocks"][0]["text"]["text"]
    assert header.startswith("ABM週次レポート: ")


def test_scheduled_mail_attaches_xlsx(scheduled: Sent) -> None:
    files = attachments(scheduled.mails[0])
    assert [name.rsplit(".", 1)[1] for name in files] == ["xlsx"]
