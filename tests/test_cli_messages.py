"""Errors, warnings and notes of the CLI in Japanese and English.

Under --lang ja abmkpi's own messages are Japanese and under --lang en they
are English. JSON output keeps English text in both languages, because
scripts read it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run_cli

ATTENDEES = """\
leadId,company,status,attendedDate
1,Aoi Kikai,Attended,2024-05-23
2,Kiri Denso,Registered,2024-05-23
3,Hinoki Foods,Attended,2024-05-24
"""

ATTENDEES_MAPPING = """\
source = "events"

[[tables]]
file = "attendees.csv"
target = "activities"
where = { status = ["Attended"] }

[tables.columns]
id = { template = "{leadId}-{attendedDate}" }
type = { value = "event_attended" }
occurred_at = "attendedDate"
company_name = "company"
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    directory = tmp_path / "workspace"
    run_cli("init", directory)
    return directory


def stderr_of(root: Path, language: str, *args: str | Path) -> str:
    """Run a command expected to fail and return its standard error."""
    result = run_cli("-w", root, "--lang", language, *args, check=False)
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_target_value_error(root: Path) -> None:
    arguments = ("targets", "kpi", "set", "win_rate", "50", "--period", "FY2024")
    japanese = stderr_of(root, "ja", *arguments)
    english = stderr_of(root, "en", *arguments)
    assert japanese.startswith("エラー: win_rate の目標値 50 が不正です")
    assert "（例: 40% なら 0.4）" in japanese
    assert english.startswith("error: invalid target 50 for win_rate")
    assert "for example 0.4 for 40%" in english


def test_unknown_kpi_error(root: Path) -> None:
    arguments = ("targets", "kpi", "set", "win_ratio", "0.3", "--period", "FY2024")
    japanese = stderr_of(root, "ja", *arguments)
    english = stderr_of(root, "en", *arguments)
    assert "KPI 'win_ratio' が不正です: KPI 'win_ratio' は存在しません" in japanese
    assert "invalid KPI 'win_ratio': unknown KPI 'win_ratio'" in english


def test_period_error(root: Path) -> None:
    japanese = stderr_of(root, "ja", "kpi", "--period", "FY2024-Q7")
    english = stderr_of(root, "en", "kpi", "--period", "FY2024-Q7")
    assert japanese == "エラー: 四半期は 1〜4 で指定してください（指定値: Q7）\n"
    assert english == "error: quarter must be 1-4, got Q7\n"


def test_segment_option_error(root: Path) -> None:
    # Click writes its own usage frame in English; abmkpi's reason is translated.
    japanese = stderr_of(root, "ja", "kpi", "--segment", "tier:0")
    english = stderr_of(root, "en", "kpi", "--segment", "tier:0")
    assert "Invalid value for --segment" in japanese
    assert "ティアは tier:1 のように 1 から" in japanese
    assert "tiers are whole numbers from 1 to" in english


def test_handoff_not_found(root: Path) -> None:
    japanese = stderr_of(root, "ja", "handoff", "ack", "99999")
    english = stderr_of(root, "en", "handoff", "ack", "99999")
    assert japanese == (
        "エラー: ハンドオフ 99999 が見つかりません。ID は 'abmkpi handoff list' "
        "で確認できます\n"
    )
    assert english == (
        "error: handoff 99999 not found; 'abmkpi handoff list' shows the ids\n"
    )


def test_token_not_found(root: Path) -> None:
    japanese = stderr_of(root, "ja", "token", "revoke", "42")
    english = stderr_of(root, "en", "token", "revoke", "42")
    assert "エラー: API トークン 42 が見つかりません" in japanese
    assert "error: API token 42 not found" in english


def test_token_create_output(root: Path) -> None:
    japanese = run_cli("-w", root, "--lang", "ja", "token", "create", "--name", "MA")
    english = run_cli("-w", root, "--lang", "en", "token", "create", "--name", "MA")
    assert japanese.stderr == (
        "トークン 1（MA、ロール viewer）を作成しました。再表示はできないため、"
        "今すぐコピーしてください\n"
    )
    assert english.stderr == (
        "created token 2 (MA, role viewer); copy it now, it cannot be shown again\n"
    )


def test_no_workspace_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    japanese = stderr_of(missing, "ja", "kpi")
    english = stderr_of(missing, "en", "kpi")
    assert f"エラー: {missing} にワークスペースがありません" in japanese
    assert f"error: no workspace at {missing}" in english


def test_workspace_language_applies(root: Path) -> None:
    # New workspaces default to Japanese, so errors follow without --lang.
    result = run_cli("-w", root, "handoff", "ack", "99999", check=False)
    assert result.stderr.startswith("エラー: ハンドオフ 99999 が見つかりません")


def test_import_notes(root: Path, tmp_path: Path) -> None:
    data = tmp_path / "attendees.csv"
    data.write_text(ATTENDEES, encoding="utf-8")
    mapping = tmp_path / "events.toml"
    mapping.write_text(ATTENDEES_MAPPING, encoding="utf-8")
    arguments = ("import", "csv", data, "--mapping", mapping, "--dry-run")
    japanese = run_cli("-w", root, "--lang", "ja", *arguments).stdout
    english = run_cli("-w", root, "--lang", "en", *arguments).stdout
    assert "attendees.csv: 1 件スキップ（status が Attended 以外）" in japanese
    assert "attendees.csv: skipped 1 (status not in Attended)" in english


def test_import_json_keeps_english(root: Path, tmp_path: Path) -> None:
    data = tmp_path / "attendees.csv"
    data.write_text(ATTENDEES, encoding="utf-8")
    mapping = tmp_path / "events.toml"
    mapping.write_text(ATTENDEES_MAPPING, encoding="utf-8")
    arguments = ("import", "csv", data, "--mapping", mapping, "--dry-run")
    result = run_cli("-w", root, "--lang", "ja", *arguments, "--format", "json")
    document = json.loads(result.stdout)
    assert document["files"][0]["skipped_reasons"] == {"status not in Attended": 1}
    assert document["summary"].startswith("read 3 rows: 2 new")


def test_detection_line(root: Path, shared_data: Path) -> None:
    folder = shared_data / "mautic-fixtures"
    arguments = ("import", folder, "--dry-run", "--format", "json")
    japanese = run_cli("-w", root, "--lang", "ja", *arguments).stderr
    english = run_cli("-w", root, "--lang", "en", *arguments).stderr
    assert "Mautic のデータと判定しました: 2 ファイル中 2 ファイル" in japanese
    assert "detected Mautic data: 2 of 2 files" in english


def test_skip_reason_and_note(root: Path, tmp_path: Path, cases: Path) -> None:
    other = tmp_path / "Notes.csv"
    other.write_text("Title,Body\nCall,Left a message\n", encoding="utf-8")
    account = cases / "07-free-email-domain" / "Account.csv"
    arguments = ("import", "salesforce", account, other, "--dry-run")
    japanese = run_cli("-w", root, "--lang", "ja", *arguments).stdout
    english = run_cli("-w", root, "--lang", "en", *arguments).stdout
    assert (
        "Notes.csv: 1 件スキップ（abmkpi が取り込むオブジェクトではない）" in japanese
    )
    assert "Notes.csv: ファイル名も列も、abmkpi が取り込む Salesforce" in japanese
    assert "Notes.csv: skipped 1 (not an object abmkpi imports)" in english
    assert "Notes.csv: neither the file name nor the columns match" in english


def test_target_count_warning(root: Path, cases: Path) -> None:
    folder = cases / "07-free-email-domain"
    run_cli("-w", root, "import", "salesforce", folder / "Account.csv")
    targets = folder / "target_accounts.csv"
    japanese = run_cli("-w", root, "--lang", "ja", "targets", "set", targets)
    english = run_cli("-w", root, "--lang", "en", "targets", "set", targets)
    assert "警告: ターゲットアカウントが 3 社あります。ABM は通常 10〜20 社" in (
        japanese.stderr
    )
    assert "warning: 3 target accounts; ABM programs start with 10-20" in (
        english.stderr
    )


def test_blank_token_name(root: Path) -> None:
    japanese = stderr_of(root, "ja", "token", "create", "--name", " ")
    english = stderr_of(root, "en", "token", "create", "--name", " ")
    assert "トークン名が空です。短いトークン名を指定してください" in japanese
    assert "the token name is empty; give a short token name" in english
