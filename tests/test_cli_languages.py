"""The CLI's tables in Japanese and English, on a demo workspace.

Under --lang ja, headers, titles and enum values are translated. Instants are
shown in the workspace zone with the zone in the header. The zone is
Asia/Tokyo, UTC+9 without daylight saving. JSON and CSV keep English ids and
UTC instants.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json

# A handoff that crossed the MQA line at 01:30 UTC, 10:30 in Tokyo.
HANDOFF_ID = 900
CROSSED_UTC = "2026-01-05 01:30:00"
SLA_DUE_UTC = "2026-01-06 23:45:00"
FOLLOWED_UP_UTC = "2026-01-05 03:00:00"

# Journey stages as the Japanese catalog labels them.
STAGES_JA = {
    "unengaged": "未接触",
    "aware": "認知",
    "engaged": "接点構築済み",
    "mqa": "MQA",
    "opportunity": "商談",
    "customer": "顧客",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("languages") / "workspace"
    run_cli(
        "demo", "--no-serve", "--dir", directory, "--accounts", "300",
        "--activities", "20000", "--end-date", "2025-03-31", "--format", "json",
    )  # fmt: skip
    workspace = Workspace.load(directory)
    with workspace.open_store() as store:
        account = store.scalar("SELECT id FROM accounts WHERE is_target LIMIT 1")
        store.execute(
            "INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, "
            "trigger, owner_id, evidence, created_at, sla_due_at, "
            "first_sales_activity_at) VALUES (?, ?, ?, 80.0, 60.0, 'import', "
            "'owner-1', '{}', ?, ?, ?)",
            [
                HANDOFF_ID,
                account,
                CROSSED_UTC,
                CROSSED_UTC,
                SLA_DUE_UTC,
                FOLLOWED_UP_UTC,
            ],
        )
    return directory


def ja(demo: Path, *args: str | Path) -> str:
    return run_cli("-w", demo, "--lang", "ja", *args).stdout


def en(demo: Path, *args: str | Path) -> str:
    return run_cli("-w", demo, "--lang", "en", *args).stdout


def row_of(output: str, key: str) -> str:
    """Return the table line whose first cell is ``key``."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == key:
            return line
    raise AssertionError(f"no row {key!r} in:\n{output}")


def test_accounts_table_in_japanese(demo: Path) -> None:
    output = ja(demo, "accounts", "-p", "FY2024-Q4", "--limit", "5")
    assert "アカウント一覧（2024年度 第4四半期、スコア順）" in output
    for header in ("アカウント", "ティア", "ジャーニーステージ", "累計受注"):
        assert header in output


def test_accounts_stage_labels(demo: Path) -> None:
    output = ja(demo, "accounts", "-p", "FY2024-Q4", "--limit", "5")
    rows = run_json("-w", demo, "accounts", "-p", "FY2024-Q4", "--limit", "5")
    for account in rows["accounts"]:
        line = row_of(output, account["id"])
        assert STAGES_JA[account["journey_stage"]] in line
        assert f" {account['journey_stage']} " not in line


def test_account_ids_same_in_every_table(demo: Path) -> None:
    rows = run_json("-w", demo, "accounts", "--targets", "-p", "FY2024-Q4")
    first = rows["accounts"][0]
    assert first["id"] == f"demo:{first['source_id']}"
    # The accounts, targets and journey tables all show the canonical id.
    row_of(ja(demo, "accounts", "--targets", "-p", "FY2024-Q4"), first["id"])
    row_of(ja(demo, "targets"), first["id"])
    journey = ja(demo, "journey", "--from", "2025-01-01", "--to", "2025-03-31")
    assert "│ demo:acc" in journey
    # 'abmkpi account' takes the canonical id and the source id alike.
    by_id = ja(demo, "account", first["id"], "-p", "FY2024-Q4")
    by_source_id = ja(demo, "account", first["source_id"], "-p", "FY2024-Q4")
    assert by_id == by_source_id
    assert first["id"] in by_id


def test_accounts_json_keeps_ids(demo: Path) -> None:
    document = json.loads(
        ja(demo, "accounts", "-p", "FY2024-Q4", "--limit", "5", "--format", "json")
    )
    stages = {row["journey_stage"] for row in document["accounts"]}
    assert stages <= set(STAGES_JA)


def test_account_detail_in_japanese(demo: Path) -> None:
    first = run_json("-w", demo, "accounts", "-p", "FY2024-Q4", "--targets")
    source_id = first["accounts"][0]["source_id"]
    output = ja(demo, "account", source_id, "-p", "FY2024-Q4")
    assert "ターゲットアカウント（ティア" in output
    assert "エンゲージメントスコア: " in output
    assert "スコアの内訳: 寄与の大きい行動" in output
    assert "日時 (Asia/Tokyo)" in output
    assert "週ごとのスコア: " in output
    assert "紐づけ方法" in output
    assert "行動の履歴（最新20件）" in output


def test_account_times_in_tokyo(demo: Path) -> None:
    first = run_json("-w", demo, "accounts", "-p", "FY2024-Q4", "--targets")
    source_id = first["accounts"][0]["source_id"]
    detail = run_json("-w", demo, "account", source_id, "-p", "FY2024-Q4")
    output = ja(demo, "account", source_id, "-p", "FY2024-Q4")
    occurred = datetime.fromisoformat(detail["timeline"][0]["occurred_at"])
    # Tokyo is UTC+9 all year.
    assert f"{occurred + timedelta(hours=9):%Y-%m-%d %H:%M}" in output


def test_handoff_list_in_tokyo_time(demo: Path) -> None:
    output = ja(demo, "handoff", "list")
    line = row_of(output, str(HANDOFF_ID))
    assert "MQA 到達日時 (Asia/Tokyo)" in output
    assert "SLA 期限 (Asia/Tokyo)" in output
    assert "2026-01-05 10:30" in line
    assert "2026-01-07 08:45" in line
    assert "営業対応済み" in line


def test_handoff_list_title_in_japanese(demo: Path) -> None:
    output = ja(demo, "handoff", "list", "--status", "followed_up")
    assert "（営業対応済み）" in output.splitlines()[0]


def test_handoff_list_in_english(demo: Path) -> None:
    output = en(demo, "handoff", "list")
    line = row_of(output, str(HANDOFF_ID))
    assert "Crossed at (Asia/Tokyo)" in output
    assert "2026-01-05 10:30" in line
    assert "Followed up" in line


def test_handoff_json_stays_utc(demo: Path) -> None:
    document = json.loads(ja(demo, "handoff", "list", "--format", "json"))
    handoff = next(h for h in document["handoffs"] if h["id"] == HANDOFF_ID)
    assert handoff["crossed_at"] == "2026-01-05T01:30:00Z"
    assert handoff["status"] == "followed_up"


def test_handoff_csv_stays_utc(demo: Path) -> None:
    text = ja(demo, "handoff", "list", "--format", "csv").removeprefix("\ufeff")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[str(HANDOFF_ID)]["crossed_at"] == "2026-01-05T01:30:00Z"
    assert rows[str(HANDOFF_ID)]["status"] == "followed_up"


def test_pdca_check_in_japanese(demo: Path) -> None:
    output = ja(demo, "pdca", "check", "-p", "FY2024-Q4")
    assert "要対策アカウント（2024年度 第4四半期）" in output
    for header in ("ルール", "理由", "推奨アクション"):
        assert header in output


def test_pdca_patterns_in_japanese(demo: Path) -> None:
    output = ja(demo, "pdca", "patterns", "-p", "FY2024-Q4", "--scope", "all")
    assert "成功パターン（2024年度 第4四半期、全アカウント: " in output
    assert "リフト（95% 信頼区間）" in output
    assert "商談化 / 実施あり" in output
    assert "行動の種類" in output


def test_pdca_plan_in_japanese(demo: Path) -> None:
    set_output = ja(
        demo, "targets", "kpi", "set", "contact_rate", "0.5", "-p", "FY2024-Q4",
        "--account", "demo:acc1",
    )  # fmt: skip
    output = ja(demo, "pdca", "plan", "-p", "FY2024-Q4")
    line = next(line for line in output.splitlines() if "接点化率" in line)
    assert (
        "2024年度 第4四半期 の 接点化率（account:demo:acc1）の目標を 50.0% に設定"
        in (" ".join(set_output.split()))
    )
    assert "アカウント別計画（2024年度 第4四半期）" in output
    assert "実績" in output
    assert "50.0%" in line


def test_pdca_action_in_japanese(demo: Path) -> None:
    added = ja(
        demo, "pdca", "action", "add", "demo:acc1", "--title", "セミナー招待",
        "--due", "2025-04-30",
    )  # fmt: skip
    assert "demo:acc1" in added
    assert "にアクション" in added
    output = ja(demo, "pdca", "action", "list")
    line = next(line for line in output.splitlines() if "セミナー招待" in line)
    assert "PDCA アクション" in output
    assert "2025-04-30" in line
    assert "進行中" in line


def test_kpi_targets_in_japanese(demo: Path) -> None:
    output = ja(demo, "targets", "kpi", "list")
    line = next(
        line
        for line in output.splitlines()
        if "接点化率 " in line and "設定ファイルの既定値" in line
    )
    assert "KPI 目標" in output
    assert "設定日時 (Asia/Tokyo)" in output
    assert "全期間" in line
    assert "ターゲットアカウント" in line
    assert "60.0%" in line


def test_kpi_targets_json_keeps_ids(demo: Path) -> None:
    document = json.loads(ja(demo, "targets", "kpi", "list", "--format", "json"))
    row = next(
        r
        for r in document["targets"]
        if r["kpi"] == "contact_rate" and r["source"] == "config"
    )
    assert row == {
        "kpi": "contact_rate",
        "period": "*",
        "segment": "target",
        "value": 0.6,
        "source": "config",
        "set_at": None,
    }


def test_journey_in_japanese(demo: Path) -> None:
    output = ja(demo, "journey", "--from", "2025-01-01", "--to", "2025-03-31")
    assert "ターゲットアカウント: 2025-01-01 → 2025-03-31" in output
    assert "ジャーニーステージ" in output
    assert "接点構築済み" in output
    assert " engaged " not in output


def test_match_report_in_japanese(demo: Path) -> None:
    output = ja(demo, "match", "--report")
    assert "照合レポート: アカウントに紐づいた人物と行動" in output
    assert "デモデータ" in output
    assert "紐づけ方法: " in output
    assert "ソースのアカウント紐づけ" in output


def test_targets_in_japanese(demo: Path) -> None:
    output = ja(demo, "targets")
    assert "ターゲットアカウント 15 社（リストから設定）" in output
    assert "ICP 適合度" in output


def test_token_list_in_japanese(demo: Path) -> None:
    run_cli("-w", demo, "token", "create", "--name", "dashboard", "--role", "viewer")
    output = ja(demo, "token", "list")
    line = row_of(output, "1")
    assert "API トークン" in output
    assert "作成日時 (Asia/Tokyo)" in output
    assert "閲覧者" in line


def test_schedule_in_japanese(demo: Path) -> None:
    output = ja(demo, "schedule", "--now", "2025-03-24T09:00+09:00")
    line = row_of(output, "週次")
    assert "レポートのスケジュール" in output
    # The weekly pack fires on Mondays at 08:00 in Tokyo.
    assert "2025-03-31 08:00" in line


def test_import_summary_in_japanese(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    data = tmp_path / "accounts.csv"
    data.write_text("code,company\nA1,Acme\nA2,Beta\n", encoding="utf-8")
    mapping = tmp_path / "accounts.toml"
    mapping.write_text(
        'source = "crm"\n\n[[tables]]\nfile = "accounts.csv"\ntarget = "accounts"\n'
        '\n[tables.columns]\nid = "code"\nname = "company"\n',
        encoding="utf-8",
    )
    output = ja(workspace, "import", data, "--mapping", mapping)
    assert "インポート 1（crm）" in output
    assert "2 行を読み込み: 新規 2、更新 0" in output
    for header in ("ファイル", "オブジェクト", "読込", "新規"):
        assert header in output


def test_stored_target_time_in_tokyo(demo: Path) -> None:
    run_cli("-w", demo, "targets", "kpi", "set", "mqa_count", "12", "-p", "FY2024-Q3")
    listed = run_json("-w", demo, "targets", "kpi", "list", "-p", "FY2024-Q3")
    stored = next(r for r in listed["targets"] if r["kpi"] == "mqa_count")
    set_at = datetime.fromisoformat(stored["set_at"].removesuffix("Z"))
    output = ja(demo, "targets", "kpi", "list", "-p", "FY2024-Q3")
    line = next(line for line in output.splitlines() if "保存済み" in line)
    assert stored["set_at"].endswith("Z")
    assert f"{set_at + timedelta(hours=9):%Y-%m-%d %H:%M}" in line


def test_kpi_as_of_in_tokyo(demo: Path) -> None:
    # 15:30 UTC on 14 February is 00:30 on 15 February in Tokyo.
    output = ja(
        demo, "kpi", "-p", "FY2024-Q4", "--kpi", "contact_rate",
        "--as-of", "2025-02-14T15:30:00Z",
    )  # fmt: skip
    assert "2025-02-15 00:30 時点 (Asia/Tokyo)" in output.splitlines()[0]
