"""Handoff detection, evidence, SLA and acknowledgement on a real workspace.

The workspace is a small Salesforce export (tests/handoff_support.py); live
events go through the ingest function, sales follow-ups through imports.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from abmkpi.handoff.messages import handoff_message
from abmkpi.handoff.records import acknowledge, get_handoff, list_handoffs
from abmkpi.handoff.run import run_handoffs
from abmkpi.notify import deliveries_of
from abmkpi.usage import UsageKind, usage_count
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json
from tests.handoff_support import (
    OTHER,
    OWNER_ID,
    SCORE_AT_CROSSING,
    TARGET,
    TARGET_NAME,
    copy_workspace,
    form_fills,
    ingest,
    salesforce_template,
    utc_now,
)
from tests.salesforce_support import csv_text, run_import, write


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("handoff-template")
    return salesforce_template(root)


@pytest.fixture
def workspace(template: Workspace, tmp_path: Path) -> Workspace:
    return copy_workspace(template, tmp_path / "ws")


def handoff_rows(workspace: Workspace) -> list[tuple]:
    with workspace.open_store(read_only=True) as store:
        return store.fetch_all(
            "SELECT id, account_id, crossed_at FROM handoffs ORDER BY id"
        )


def test_two_fills_stay_below(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        result = ingest(workspace, store, form_fills("a", utc_now(), 2))
    assert result.handoff_ids == []
    assert handoff_rows(workspace) == []


def test_third_fill_crosses(workspace: Workspace) -> None:
    last = utc_now() - timedelta(minutes=1)
    events = form_fills("a", last, 3)
    with workspace.open_store() as store:
        result = ingest(workspace, store, events)
        handoff = get_handoff(store, result.handoff_ids[0])
    assert len(result.handoff_ids) == 1
    assert handoff.account_id == TARGET
    assert handoff.crossed_at == events[2].occurred_at
    assert handoff.trigger == "ingest"
    assert handoff.evidence["score_at_crossing"] == pytest.approx(
        SCORE_AT_CROSSING, abs=1e-6
    )
    assert handoff.evidence["crossing_activity_id"] == "live:a-2"
    assert handoff.sla_due_at == events[2].occurred_at + timedelta(hours=48)
    assert handoff.evidence["detected_late"] is False


def test_evidence_lists_people(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        result = ingest(workspace, store, form_fills("a", utc_now(), 3))
        evidence = get_handoff(store, result.handoff_ids[0]).evidence
    assert [p["name"] for p in evidence["engaged_people"]] == ["山田 太郎"]
    assert evidence["engaged_people"][0]["persona"] == "decision_maker"
    assert evidence["personas"] == {"decision_maker": 1}
    assert evidence["owner"] == {"id": OWNER_ID, "name": None, "email": None}
    assert evidence["account"]["name"] == TARGET_NAME
    assert [a["id"] for a in evidence["top_activities"]] == [
        "live:a-2",
        "live:a-1",
        "live:a-0",
    ]


def test_top_activities_limited(template: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(
        template, tmp_path / "ws", handoff={"evidence_activities": 2}
    )
    with workspace.open_store() as store:
        result = ingest(workspace, store, form_fills("a", utc_now(), 3))
        evidence = get_handoff(store, result.handoff_ids[0]).evidence
    assert len(evidence["top_activities"]) == 2


def test_more_events_add_none(workspace: Workspace) -> None:
    now = utc_now()
    with workspace.open_store() as store:
        ingest(workspace, store, form_fills("a", now - timedelta(hours=3), 3))
        again = ingest(workspace, store, form_fills("b", now, 2))
        run = run_handoffs(store, workspace.settings, workspace.root)
    assert again.handoff_ids == []
    assert run.created == []
    assert len(handoff_rows(workspace)) == 1


def test_older_activities_add_none(workspace: Workspace) -> None:
    # Three fills 5 h to 3 h before the first three cross the threshold
    # earlier, and the score stays above it from then on: the same run
    # above the threshold, which already has its handoff.
    now = utc_now()
    with workspace.open_store() as store:
        first = ingest(workspace, store, form_fills("new", now, 3))
        older = ingest(workspace, store, form_fills("old", now - timedelta(hours=3), 3))
        run = run_handoffs(store, workspace.settings, workspace.root)
    assert len(first.handoff_ids) == 1
    assert older.handoff_ids == []
    assert run.created == []
    assert len(handoff_rows(workspace)) == 1


def test_new_crossing_after_fall(workspace: Workspace) -> None:
    # 30 points 200 days ago decayed to 30 × 2^(-200/30) ≈ 0.3, far below
    # the threshold, so three new fills cross it again.
    now = utc_now()
    with workspace.open_store() as store:
        ingest(workspace, store, form_fills("old", now - timedelta(days=200), 3))
        first = run_handoffs(
            store, workspace.settings, workspace.root, now - timedelta(days=200)
        )
        ingest(workspace, store, form_fills("new", now, 3))
    rows = handoff_rows(workspace)
    assert len(first.created) == 1
    assert len(rows) == 2
    assert rows[1][2] - rows[0][2] == timedelta(days=200)


def test_targets_only_skips_others(template: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(
        template, tmp_path / "ws", handoff={"targets_only": True}
    )
    events = form_fills("a", utc_now(), 3) + form_fills(
        "b", utc_now(), 3, email="ceo@other.example.com"
    )
    with workspace.open_store() as store:
        ingest(workspace, store, events)
    assert [row[1] for row in handoff_rows(workspace)] == [TARGET]


def test_both_accounts_without_filter(workspace: Workspace) -> None:
    events = form_fills("a", utc_now(), 3) + form_fills(
        "b", utc_now(), 3, email="ceo@other.example.com"
    )
    with workspace.open_store() as store:
        ingest(workspace, store, events)
    assert sorted(row[1] for row in handoff_rows(workspace)) == [TARGET, OTHER]


def test_disabled_records_none(template: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(template, tmp_path / "ws", handoff={"enabled": False})
    with workspace.open_store() as store:
        ingest(workspace, store, form_fills("a", utc_now(), 3))
        run = run_handoffs(store, workspace.settings, workspace.root)
    assert run.created == []
    assert handoff_rows(workspace) == []


def task_csv(path: Path, task_id: str, completed: str, subtype: str) -> Path:
    return write(
        path,
        csv_text(
            "Id,WhatId,Subject,Status,TaskSubtype,ActivityDate,CompletedDateTime",
            f"{task_id},001000000000001AAA,{subtype},Completed,{subtype},"
            f"{completed[:10]},{completed}",
        ),
    )


def test_imported_call_closes_sla(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.open_store() as store:
        ingest(workspace, store, form_fills("a", utc_now() - timedelta(hours=1), 3))
    called = (utc_now() - timedelta(minutes=10)).isoformat() + ".000Z"
    task = task_csv(tmp_path / "Task.csv", "00T000000000001AAA", called, "Call")
    run_cli("--workspace", workspace.root, "import", "salesforce", task)
    with workspace.open_store(read_only=True) as store:
        (handoff,) = list_handoffs(store)
    assert handoff.status_at(utc_now()) == "followed_up"
    assert handoff.first_sales_activity_at.isoformat() == called[:19]


def test_call_before_crossing_ignored(workspace: Workspace, tmp_path: Path) -> None:
    earlier = (utc_now() - timedelta(days=2)).isoformat() + ".000Z"
    run_import(
        workspace,
        task_csv(tmp_path / "Task.csv", "00T000000000002AAA", earlier, "Call"),
    )
    with workspace.open_store() as store:
        result = ingest(workspace, store, form_fills("a", utc_now(), 3))
        handoff = get_handoff(store, result.handoff_ids[0])
    assert handoff.first_sales_activity_at is None


def test_breach_listed_and_renotified_once(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        result = ingest(workspace, store, form_fills("a", utc_now(), 3))
        handoff_id = result.handoff_ids[0]
        created = get_handoff(store, handoff_id).created_at
        settings, root = workspace.settings, workspace.root
        before = run_handoffs(store, settings, root, created + timedelta(hours=47))
        late = created + timedelta(hours=49)
        first = run_handoffs(store, settings, root, late)
        second = run_handoffs(store, settings, root, late + timedelta(hours=1))
        breached = list_handoffs(store, "breached", late)
        notices = deliveries_of(store, "handoff_breach", [str(handoff_id)])
    assert before.breached == []
    assert first.breached == [handoff_id]
    assert second.breached == []
    assert [item.id for item in breached] == [handoff_id]
    assert [(d.channel, d.status, d.attempts) for d in notices] == [
        ("csv", "delivered", 1)
    ]
    queue = (workspace.root / "handoffs" / "queue.csv").read_text("utf-8-sig")
    assert queue.count("Not Started") == 2


def test_followed_up_not_breached(workspace: Workspace, tmp_path: Path) -> None:
    with workspace.open_store() as store:
        result = ingest(
            workspace, store, form_fills("a", utc_now() - timedelta(hours=1), 3)
        )
    called = (utc_now() - timedelta(minutes=5)).isoformat() + ".000Z"
    run_import(
        workspace, task_csv(tmp_path / "Task.csv", "00T000000000003AAA", called, "Call")
    )
    with workspace.open_store() as store:
        late = get_handoff(store, result.handoff_ids[0]).sla_due_at + timedelta(hours=1)
        run = run_handoffs(store, workspace.settings, workspace.root, late)
        breached = list_handoffs(store, "breached", late)
    assert run.followed_up == 1
    assert run.breached == []
    assert breached == []


def late_fills(crossed_at: datetime) -> list[Any]:
    """Four fills whose third crosses the threshold at ``crossed_at``."""
    return form_fills("old", crossed_at + timedelta(hours=1), 4)


def late_workspace(template: Workspace, root: Path) -> Workspace:
    """A workspace whose 10-day-old crossings are late but not backfilled."""
    return copy_workspace(template, root, handoff={"backfill_days": 30})


def test_late_crossing_breached(template: Workspace, tmp_path: Path) -> None:
    workspace = late_workspace(template, tmp_path / "ws")
    crossed = utc_now() - timedelta(days=10)
    with workspace.open_store() as store:
        result = ingest(workspace, store, late_fills(crossed))
        handoff = get_handoff(store, result.handoff_ids[0])
        later = handoff.created_at + timedelta(hours=1)
        run = run_handoffs(store, workspace.settings, workspace.root, later)
        breached = list_handoffs(store, "breached", later)
        notices = deliveries_of(store, "handoff_breach", [str(handoff.id)])
    assert handoff.crossed_at == crossed
    assert handoff.sla_due_at == crossed + timedelta(hours=48)
    assert handoff.evidence["detected_late"] is True
    assert handoff.backfilled is False
    assert handoff.breached_at == handoff.created_at
    assert run.breached == []
    assert [item.id for item in breached] == [handoff.id]
    assert notices == []


def test_late_crossing_followed_up(template: Workspace, tmp_path: Path) -> None:
    workspace = late_workspace(template, tmp_path / "ws")
    crossed = utc_now() - timedelta(days=10)
    called = (crossed + timedelta(days=1)).isoformat() + ".000Z"
    run_import(
        workspace, task_csv(tmp_path / "Task.csv", "00T000000000004AAA", called, "Call")
    )
    with workspace.open_store() as store:
        result = ingest(workspace, store, late_fills(crossed))
        handoff = get_handoff(store, result.handoff_ids[0])
    assert handoff.evidence["detected_late"] is True
    assert handoff.first_sales_activity_at == crossed + timedelta(days=1)
    assert handoff.breached_at is None
    assert handoff.status_at(utc_now()) == "followed_up"


def test_message_labels_both_scores(template: Workspace, tmp_path: Path) -> None:
    workspace = copy_workspace(template, tmp_path / "ws", workspace={"language": "en"})
    crossed = utc_now() - timedelta(days=10)
    with workspace.open_store() as store:
        result = ingest(workspace, store, late_fills(crossed))
        handoff = get_handoff(store, result.handoff_ids[0])
    message = handoff_message(handoff, workspace.settings)
    # Now: 10 × (2^(-242/720) + 2^(-241/720) + 2^(-240/720) + 2^(-239/720)).
    assert message.title == f"MQA: {TARGET_NAME} (score now 31.7)"
    # At the crossing: 10 × (2^(-2/720) + 2^(-1/720) + 1) = 29.97.
    assert message.lines[0].startswith("Score at crossing: 30.0 (MQA threshold 25)")
    assert ("Score now", "31.7") in message.fields


def test_ack_records_usage(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        handoff_id = ingest(
            workspace, store, form_fills("a", utc_now(), 3)
        ).handoff_ids[0]
    output = run_cli(
        "--workspace", workspace.root, "--lang", "en", "handoff", "ack",
        str(handoff_id), "--by", "田中",
    ).stdout  # fmt: skip
    with workspace.open_store(read_only=True) as store:
        listed = list_handoffs(store, "acknowledged")
        used = usage_count(store, UsageKind.HANDOFF_ACKNOWLEDGED, timedelta(hours=1))
        detail = store.scalar("SELECT detail FROM usage_events")
    assert f"handoff {handoff_id} ({TARGET_NAME}) acknowledged by 田中" in output
    assert [item.id for item in listed] == [handoff_id]
    assert listed[0].acknowledged_by == "田中"
    assert used == 1
    assert json.loads(detail) == {"handoff_id": handoff_id, "account_id": TARGET}


def test_second_ack_reports_first(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        handoff_id = ingest(
            workspace, store, form_fills("a", utc_now(), 3)
        ).handoff_ids[0]
        acknowledge(store, handoff_id, "佐藤", now=datetime(2026, 12, 4, 23, 16))
    args = ("handoff", "ack", str(handoff_id), "--by", "別人")
    english = run_cli("--workspace", workspace.root, "--lang", "en", *args)
    japanese = run_cli("--workspace", workspace.root, "--lang", "ja", *args)
    # 23:16 UTC is 08:16 the next day in Tokyo.
    assert english.stdout.strip() == (
        f"handoff {handoff_id} ({TARGET_NAME}) was already acknowledged by 佐藤 "
        "at 2026-12-05 08:16 (Asia/Tokyo); nothing changed"
    )
    assert japanese.stdout.strip() == (
        f"引き渡し {handoff_id}（{TARGET_NAME}）は 2026-12-05 08:16 (Asia/Tokyo) に "
        "佐藤 が確認済みです。変更はありません"
    )
    assert english.returncode == 0
    with workspace.open_store(read_only=True) as store:
        handoff = get_handoff(store, handoff_id)
        used = store.scalar("SELECT count(*) FROM usage_events")
    assert handoff.acknowledged_by == "佐藤"
    assert used == 1


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            "x" * 201,
            f"the acknowledged-by name {'x' * 39 + '…'!r} has 201 characters; the "
            "maximum is 200",
        ),
        (
            "田中\r太郎",
            "the acknowledged-by name '田中\\r太郎' contains the control "
            "character U+000D; remove it",
        ),
    ],
)
def test_ack_by_rejected(workspace: Workspace, by: str, expected: str) -> None:
    with workspace.open_store() as store:
        handoff_id = ingest(
            workspace, store, form_fills("a", utc_now(), 3)
        ).handoff_ids[0]
    result = run_cli(
        "--workspace", workspace.root, "--lang", "en",
        "handoff", "ack", str(handoff_id), "--by", by,
        check=False,
    )  # fmt: skip
    message = " ".join(line.strip(" │╭╮╰╯─") for line in result.stderr.splitlines())
    with workspace.open_store(read_only=True) as store:
        handoff = get_handoff(store, handoff_id)
        used = usage_count(store, UsageKind.HANDOFF_ACKNOWLEDGED, timedelta(hours=1))
    assert result.returncode == 2
    assert f"Invalid value for --by: {expected}" in " ".join(message.split())
    assert handoff.acknowledged_at is None
    assert used == 0


def test_ack_unknown_id_fails(workspace: Workspace) -> None:
    result = run_cli(
        "--workspace",
        workspace.root,
        "--lang",
        "en",
        "handoff",
        "ack",
        "99",
        check=False,
    )
    assert result.returncode == 1
    assert "handoff 99 not found" in result.stderr


def test_run_command_sends_queued(workspace: Workspace) -> None:
    # The ingest recorded the handoff and queued its CSV row; the run sends it.
    with workspace.open_store() as store:
        ingest(workspace, store, form_fills("a", utc_now(), 3))
    document = run_json("--workspace", workspace.root, "handoff", "run")
    assert document == {
        "created": [],
        "backfilled": [],
        "followed_up": 0,
        "breached": [],
        "delivered": 1,
        "retrying": 0,
        "failed": 0,
    }
