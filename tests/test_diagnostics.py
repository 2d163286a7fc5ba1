"""The KPI-setup checklist on a small demo workspace, broken on purpose.

Each test copies the demo, breaks one part of the setup and asserts the
item that must notice it, with the numbers of its evidence.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file

from abmkpi import derive
from abmkpi.diagnostics import CHECKS, CheckStatus, run_diagnostics
from abmkpi.i18n import translate
from abmkpi.pdca.actions import add_action, current_quarter
from abmkpi.pdca.checks import low_performers
from abmkpi.targets import TargetEntry, set_list
from abmkpi.usage import UsageKind, record_usage, usage_count, utc_now
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.diagnostics_support import (
    add_report_run,
    build_demo,
    check,
    copy_demo,
    days_before_now,
    edit_config,
)
from tests.pdca_support import Rows, build

STATUSES = {"pass", "warn", "fail", "not_applicable"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("diagnostics"))


@pytest.fixture
def workspace(demo: Path, tmp_path: Path) -> Workspace:
    return copy_demo(demo, tmp_path)


def _set_targets(workspace: Workspace, count: int) -> None:
    with workspace.open_store() as store:
        ids = [
            row[0]
            for row in store.fetch_all(
                "SELECT id FROM accounts WHERE NOT is_deleted "
                "AND merged_into_id IS NULL ORDER BY id LIMIT ?",
                [count],
            )
        ]
        set_list(store, workspace.settings, [TargetEntry(i, "id", 1) for i in ids])
        derive.refresh(store, workspace.settings)


# The whole checklist through the command ---------------------------------------


def test_cli_json_lists_every_item(workspace: Workspace) -> None:
    result = run_cli("-w", workspace.root, "diagnose", "--format", "json", check=False)
    document = json.loads(result.stdout)
    assert [item["id"] for item in document["items"]] == list(CHECKS)
    assert result.returncode == 3
    assert document["status"] == "fail"
    for item in document["items"]:
        assert item["status"] in STATUSES, item["id"]
        assert item["part"] == item["id"].split(".")[0], item["id"]
        assert item["title"]["ja"] != item["title"]["en"], item["id"]
        assert item["summary"]["ja"] != item["summary"]["en"], item["id"]
        assert isinstance(item["evidence"], dict), item["id"]
        has_fix = item["fix"] is not None
        assert has_fix == (item["status"] in ("warn", "fail")), item["id"]


def test_cli_demo_statuses(workspace: Workspace) -> None:
    result = run_cli("-w", workspace.root, "diagnose", "--format", "json", check=False)
    statuses = {
        item["id"]: item["status"] for item in json.loads(result.stdout)["items"]
    }
    # The demo has no reports, page views, PDCA actions or KGI yet.
    assert statuses["diagnosis.kpis_used"] == "fail"
    assert statuses["setting.kgi"] == "fail"
    assert statuses["operation.reviews"] == "fail"
    assert statuses["operation.pdca_actions"] == "fail"
    # Its data is complete, linked and fresh, with 12 targets.
    assert statuses["diagnosis.match_rate"] == "pass"
    assert statuses["diagnosis.required_fields"] == "pass"
    assert statuses["diagnosis.data_freshness"] == "pass"
    assert statuses["setting.target_count"] == "pass"
    assert statuses["implementation.stage_history"] == "pass"
    assert statuses["implementation.pipeline_contribution"] == "pass"


def test_cli_table_in_english(workspace: Workspace) -> None:
    result = run_cli("-w", workspace.root, "--lang", "en", "diagnose", check=False)
    lines = result.stdout.splitlines()
    assert result.returncode == 3
    assert "  [Fail] KGI defined  (setting.kgi)" in lines
    assert lines[0] == "Diagnosis: are the KPIs used and the data linked?"
    assert re.fullmatch(
        r"Pass \d+, Warning \d+, Fail \d+, Not applicable \d+", lines[-1]
    )


def test_cli_records_diagnose_run(workspace: Workspace) -> None:
    run_cli("-w", workspace.root, "diagnose", "--format", "csv", check=False)
    with workspace.open_store() as store:
        runs = usage_count(store, UsageKind.DIAGNOSE_RUN, timedelta(days=1))
    assert runs == 1


def test_cli_healthy_setup_exits_zero(workspace: Workspace) -> None:
    workspace = edit_config(
        workspace,
        {
            "diagnose": {"kgi_kpi": "pipeline_created"},
            "kpi.targets": {
                "pipeline_created": 500_000_000.0,
                "engagement_score": 40.0,
                "marketing_influenced_pipeline": 300_000_000.0,
                "win_rate": 0.4,
                "average_deal_size": 5_000_000.0,
            },
        },
    )
    for cadence, days in (("weekly", 2), ("monthly", 10), ("quarterly", 40)):
        add_report_run(workspace, cadence, days)
    _act_on_low_performers(workspace)
    with workspace.open_store() as store:
        record_usage(store, UsageKind.PAGE_VIEWED, detail={"path": "/"})
        store.execute(
            "UPDATE handoffs SET breached_at = NULL, "
            "first_sales_activity_at = crossed_at + INTERVAL 1 HOUR"
        )
        store.execute(
            "INSERT INTO pdca_actions (id, account_id, title, rule, owner, due_date, "
            "status, created_at, reviewed_at) VALUES (nextval('pdca_action_ids'), "
            "'demo:acc1', '導入事例セミナーを横展開', "
            "'pattern:activity_type:event_attended', "
            "'佐藤', current_date + 30, 'open', ?, ?)",
            [days_before_now(5), days_before_now(1)],
        )
    result = run_cli(
        "-w",
        workspace.root,
        "diagnose",
        "--format",
        "json",
        "--fail-on",
        "warn",
        check=False,
    )
    statuses = {
        item["id"]: item["status"] for item in json.loads(result.stdout)["items"]
    }
    assert [key for key, value in statuses.items() if value in ("warn", "fail")] == []
    assert result.returncode == 0


# Setting: 10-20 target accounts ------------------------------------------------


def test_target_count_below_range(workspace: Workspace) -> None:
    _set_targets(workspace, 5)
    item = check(workspace, "setting.target_count")
    assert item.status is CheckStatus.WARN
    assert item.evidence["target_accounts"] == 5
    assert item.evidence["by_tier"] == {"1": 5}


def test_target_count_above_range(workspace: Workspace) -> None:
    _set_targets(workspace, 25)
    item = check(workspace, "setting.target_count")
    assert item.status is CheckStatus.WARN
    assert item.evidence["target_accounts"] == 25


def test_target_count_none(workspace: Workspace) -> None:
    _set_targets(workspace, 0)
    assert check(workspace, "setting.target_count").status is CheckStatus.FAIL
    assert check(workspace, "diagnosis.shared_target_list").status is CheckStatus.FAIL


# Stage history -----------------------------------------------------------------


def test_no_stage_history(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        store.execute("DELETE FROM opportunity_stage_history")
        opportunities = store.scalar(
            "SELECT count(*) FROM opportunities WHERE NOT is_deleted "
            "AND merged_into_id IS NULL"
        )
    fields = check(workspace, "diagnosis.required_fields")
    tracking = check(workspace, "implementation.stage_history")
    assert fields.status is CheckStatus.FAIL
    assert fields.evidence["stage_history"]["missing"] == opportunities
    assert fields.evidence["stage_history"]["coverage"] == 0
    assert fields.evidence["amount"]["missing"] == 0
    assert tracking.status is CheckStatus.FAIL
    assert tracking.evidence["history_rows"] == 0


def test_partial_stage_history(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        ids = [
            row[0]
            for row in store.fetch_all(
                "SELECT id FROM opportunities ORDER BY id LIMIT 10"
            )
        ]
        store.execute(
            "DELETE FROM opportunity_stage_history WHERE list_contains(?, "
            "opportunity_id)",
            [ids],
        )
        total = store.scalar("SELECT count(*) FROM opportunities")
    item = check(workspace, "implementation.stage_history")
    assert item.evidence["without_history"]["missing"] == 10
    assert item.evidence["without_history"]["ids"] == ids
    assert item.evidence["without_history"]["coverage"] == pytest.approx(1 - 10 / total)


# MA source match rate ----------------------------------------------------------


def _add_marketo_activities(workspace: Workspace, matched: int, unmatched: int) -> None:
    rows = []
    for index in range(matched + unmatched):
        account = "demo:acc1" if index < matched else None
        rows.append([f"marketo:{index}", str(index), days_before_now(3), account])
    with workspace.open_store() as store:
        store.execute_many(
            "INSERT INTO activities (id, source_system, source_id, occurred_at, "
            "type, account_id, match_note) VALUES (?, 'marketo', ?, ?, 'web_visit', "
            "?, CASE WHEN ? IS NULL THEN 'no_company' END)",
            [[*row, row[3]] for row in rows],
        )


def test_low_match_rate_fails(workspace: Workspace) -> None:
    _add_marketo_activities(workspace, matched=3, unmatched=7)
    item = check(workspace, "diagnosis.match_rate")
    sources = {source["source_system"]: source for source in item.evidence["sources"]}
    assert item.status is CheckStatus.FAIL
    assert sources["marketo"]["match_rate"] == pytest.approx(0.3)
    assert sources["marketo"]["status"] == "fail"
    assert sources["marketo"]["unmatched_reasons"] == {"no_company": 7}
    assert len(sources["marketo"]["unmatched_ids"]) == 7
    assert sources["demo"]["status"] == "pass"
    assert item.summary.render("en").startswith("Lowest match rate: marketo with 30.0%")


def test_middling_match_rate_warns(workspace: Workspace) -> None:
    _add_marketo_activities(workspace, matched=13, unmatched=7)
    item = check(workspace, "diagnosis.match_rate")
    sources = {source["source_system"]: source for source in item.evidence["sources"]}
    assert item.status is CheckStatus.WARN
    assert sources["marketo"]["match_rate"] == pytest.approx(0.65)


def test_source_apart_from_targets(workspace: Workspace) -> None:
    _add_marketo_activities(workspace, matched=0, unmatched=4)
    with workspace.open_store() as store:
        store.execute(
            "UPDATE activities SET account_id = 'demo:acc99' "
            "WHERE source_system = 'marketo'"
        )
        is_target = store.scalar(
            "SELECT is_target FROM accounts WHERE id = 'demo:acc99'"
        )
    assert is_target is False
    item = check(workspace, "diagnosis.shared_target_list")
    assert item.status is CheckStatus.WARN
    assert item.evidence["sources_without_targets"] == ["marketo (activities)"]


# Reviews and usage ---------------------------------------------------------------


def test_no_report_run_in_review_window(workspace: Workspace) -> None:
    add_report_run(workspace, "weekly", 20)
    with workspace.open_store() as store:
        record_usage(store, UsageKind.PAGE_VIEWED, detail={"path": "/"})
    item = check(workspace, "diagnosis.kpis_used")
    assert item.status is CheckStatus.WARN
    assert item.evidence["report_runs"] == 0
    assert item.evidence["page_views"] == 1
    assert item.evidence["last_report_run_at"] is not None
    assert check(workspace, "operation.reviews").status is CheckStatus.FAIL


def test_last_page_view_in_tokyo(workspace: Workspace) -> None:
    viewed = days_before_now(0.01).replace(second=0, microsecond=0)
    with workspace.open_store() as store:
        record_usage(store, UsageKind.PAGE_VIEWED, detail={"path": "/"}, when=viewed)
    item = check(workspace, "implementation.dashboard")
    # Tokyo is UTC+9 all year.
    local = f"{viewed + timedelta(hours=9):%Y-%m-%d %H:%M} Asia/Tokyo"
    assert f"last view: {local}." in item.summary.render("en")
    assert item.evidence["last_page_view_at"] == viewed


def test_recent_report_run_passes(workspace: Workspace) -> None:
    add_report_run(workspace, "weekly", 2)
    with workspace.open_store() as store:
        record_usage(store, UsageKind.PAGE_VIEWED, detail={"path": "/"})
    assert check(workspace, "diagnosis.kpis_used").status is CheckStatus.PASS


def test_reviews_missing_weekly(workspace: Workspace) -> None:
    add_report_run(workspace, "weekly", 9)
    add_report_run(workspace, "monthly", 20)
    add_report_run(workspace, "quarterly", 80)
    item = check(workspace, "operation.reviews")
    assert item.status is CheckStatus.WARN
    assert item.evidence["missing"] == ["weekly"]
    assert item.evidence["cadences"]["weekly"]["age_days"] == pytest.approx(9, abs=0.1)


# Handoff -----------------------------------------------------------------------


def test_no_handoff_channel(workspace: Workspace) -> None:
    workspace = edit_config(workspace, {"notify": {"csv_queue": ""}})
    item = check(workspace, "implementation.handoff")
    assert item.status is CheckStatus.FAIL
    assert item.evidence["channels"] == []
    assert item.fix is not None


def test_handoff_disabled(workspace: Workspace) -> None:
    workspace = edit_config(
        workspace,
        {
            "handoff": {"enabled": False},
            "notify.webhook": {"url": "https://hooks.example/x"},
        },
    )
    item = check(workspace, "implementation.handoff")
    assert item.status is CheckStatus.FAIL
    assert item.evidence["channels"] == ["webhook", "csv_queue"]


def _add_handoffs(
    workspace: Workspace, breached: int, followed: int, backfilled: int = 0
) -> None:
    """Store handoffs: breached ones, followed-up ones, then backfilled ones
    (no sales activity, never stamped breached)."""
    with workspace.open_store() as store:
        store.execute("DELETE FROM handoffs")
        for number in range(breached + followed):
            crossed = days_before_now(10 + number)
            store.execute(
                "INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, "
                "trigger, evidence, created_at, sla_due_at, first_sales_activity_at, "
                "breached_at) VALUES (?, ?, ?, 70, 60, 'run', '{}', ?, ?, ?, ?)",
                [
                    number + 1,
                    f"demo:acc{number + 1}",
                    crossed,
                    crossed,
                    crossed + timedelta(hours=48),
                    None if number < breached else crossed + timedelta(hours=3),
                    crossed + timedelta(hours=48) if number < breached else None,
                ],
            )
        for number in range(breached + followed, breached + followed + backfilled):
            crossed = days_before_now(10 + number)
            store.execute(
                "INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, "
                "trigger, evidence, created_at, sla_due_at, backfilled) "
                "VALUES (?, ?, ?, 70, 60, 'import', '{}', ?, ?, true)",
                [
                    number + 1,
                    f"demo:acc{number + 1}",
                    crossed,
                    days_before_now(1),
                    crossed + timedelta(hours=48),
                ],
            )


def test_handoff_sla_breaches_warn(workspace: Workspace) -> None:
    _add_handoffs(workspace, breached=1, followed=2)
    item = check(workspace, "operation.handoff_sla")
    assert item.status is CheckStatus.WARN
    assert item.evidence["handoffs"] == 3
    assert item.evidence["breached"] == 1
    assert [row["id"] for row in item.evidence["breached_handoffs"]] == [1]


def test_handoff_sla_skips_backfilled(workspace: Workspace) -> None:
    # Three backfilled handoffs without a sales activity would make the
    # breaches a majority (4 of 6) if they counted.
    _add_handoffs(workspace, breached=1, followed=2, backfilled=3)
    item = check(workspace, "operation.handoff_sla")
    assert item.status is CheckStatus.WARN
    assert item.evidence["handoffs"] == 3
    assert item.evidence["breached"] == 1
    assert item.evidence["backfilled"] == 3
    assert [row["id"] for row in item.evidence["breached_handoffs"]] == [1]
    assert "3 backfilled handoffs have no SLA" in item.summary.render("en")


def test_handoff_sla_all_backfilled_na(workspace: Workspace) -> None:
    _add_handoffs(workspace, breached=0, followed=0, backfilled=2)
    item = check(workspace, "operation.handoff_sla")
    assert item.status is CheckStatus.NOT_APPLICABLE
    assert item.evidence["backfilled"] == 2
    assert item.summary.render("en").startswith(
        "The 2 handoffs of the last 90 days are all backfilled"
    )


def test_handoff_sla_mostly_breached_fails(workspace: Workspace) -> None:
    _add_handoffs(workspace, breached=2, followed=1)
    assert check(workspace, "operation.handoff_sla").status is CheckStatus.FAIL


def test_handoff_sla_followed_up_passes(workspace: Workspace) -> None:
    _add_handoffs(workspace, breached=0, followed=2)
    assert check(workspace, "operation.handoff_sla").status is CheckStatus.PASS


# PDCA --------------------------------------------------------------------------


def test_quiet_targets_without_action(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        quiet = [
            row[0]
            for row in store.fetch_all(
                "SELECT id FROM accounts WHERE is_target ORDER BY tier, id LIMIT 2"
            )
        ]
        store.execute(
            "DELETE FROM activities WHERE list_contains(?, account_id)", [quiet]
        )
        store.execute(
            "INSERT INTO pdca_actions (id, account_id, title, status, created_at) "
            "VALUES (nextval('pdca_action_ids'), ?, 'ウェビナー招待', 'open', ?)",
            [quiet[0], days_before_now(2)],
        )
    item = check(workspace, "operation.low_performers")
    lacking = [
        row["id"]
        for row in item.evidence["accounts_without_action"]
        if row["rule"] == "no_engagement"
    ]
    assert item.status is CheckStatus.WARN
    assert item.evidence["by_rule"]["no_engagement"] == 2
    assert lacking == [quiet[1]]


def _act_on_low_performers(workspace: Workspace) -> None:
    """Log an open action on every account the PDCA check lists now."""
    now = utc_now()
    with workspace.open_store() as store:
        period = current_quarter(workspace.settings, now)
        found = low_performers(store, workspace.settings, period, now)
        for account_id in sorted({entry.account_id for entry in found}):
            add_action(store, workspace.settings, account_id, "次の一手を打つ")


# Translations ------------------------------------------------------------------


def _checklist_messages() -> list[str]:
    package = Path(__file__).resolve().parents[1] / "src" / "abmkpi" / "diagnostics"
    found = []
    for path in sorted(package.glob("*.py")):
        for _, text, _, _ in extract_from_file("python", str(path), {"N_": None}):
            found.append(text)
    return found


def test_checklist_marks_messages() -> None:
    assert len(_checklist_messages()) > 80


@pytest.mark.parametrize("text", _checklist_messages())
def test_checklist_message_translated(text: str) -> None:
    assert translate(text, "ja") != text


# An empty workspace ------------------------------------------------------------


def test_empty_workspace_statuses(tmp_path: Path) -> None:
    empty = Workspace.init(tmp_path / "empty")
    with empty.open_store() as store:
        report = run_diagnostics(store, empty.settings)
    statuses = {item.id: item.status for item in report.items}
    assert statuses["diagnosis.match_rate"] is CheckStatus.FAIL
    assert statuses["diagnosis.data_freshness"] is CheckStatus.FAIL
    assert statuses["diagnosis.required_fields"] is CheckStatus.NOT_APPLICABLE
    assert statuses["setting.icp"] is CheckStatus.FAIL
    assert statuses["implementation.pipeline_contribution"] is CheckStatus.FAIL
    assert statuses["operation.low_performers"] is CheckStatus.NOT_APPLICABLE
    assert statuses["operation.patterns_reused"] is CheckStatus.NOT_APPLICABLE


# Freshness judges the newest data, not the last import ---------------------------


def _old_export(make_workspace: Any) -> Workspace:
    """A workspace whose only source ends in 2017 but was imported an hour ago."""
    rows = Rows()
    rows.account("old")
    rows.activity("old", "web_visit", datetime(2017, 6, 30, 3, 0))
    rows.deal("old-deal", "old", datetime(2017, 7, 20, 1, 30))
    workspace = build(make_workspace(), rows)
    recent = utc_now() - timedelta(hours=1)
    with workspace.open_store() as store:
        store.execute(
            "INSERT INTO imports (id, source_system, started_at, finished_at) "
            "VALUES (nextval('import_ids'), 'csv', ?, ?)",
            [recent, recent],
        )
    return workspace


def test_old_export_fails_freshness(make_workspace: Any) -> None:
    item = check(_old_export(make_workspace), "diagnosis.data_freshness")
    assert item.status is CheckStatus.FAIL
    (source,) = item.evidence["sources"]
    # 03:00 and 01:30 UTC are 12:00 and 10:30 in Tokyo.
    assert source["newest_activity"] == "2017-06-30 12:00 Asia/Tokyo"
    assert source["newest_record"] == "2017-07-20 10:30 Asia/Tokyo"
    assert source["newest_data"] == "2017-07-20 10:30 Asia/Tokyo"
    assert source["data_age_days"] > 365 * 9
    assert source["import_age_days"] == pytest.approx(1 / 24, abs=0.05)
    assert source["last_import"].endswith(" Asia/Tokyo")
    assert source["status"] == "fail"
    assert item.summary.render("en") == (
        "1 of 1 sources have no activity or record newer than 7 days; the "
        "oldest, csv, ends at 2017-07-20 10:30 Asia/Tokyo."
    )
    assert item.summary.render("ja") == (
        "ソース 1 件のうち 1 件は、直近 7 日以内の行動・レコードがありません。"
        "最も古い csv の最新データは 2017-07-20 10:30 Asia/Tokyo です。"
    )


def test_fresh_second_source_warns(make_workspace: Any) -> None:
    workspace = _old_export(make_workspace)
    with workspace.open_store() as store:
        store.execute(
            "INSERT INTO activities (id, source_system, source_id, occurred_at, "
            "type) VALUES ('live:1', 'live', '1', ?, 'web_visit')",
            [utc_now() - timedelta(days=2)],
        )
    item = check(workspace, "diagnosis.data_freshness")
    assert item.status is CheckStatus.WARN
    assert item.evidence["stale_sources"] == ["csv"]
    statuses = {s["source_system"]: s["status"] for s in item.evidence["sources"]}
    assert statuses == {"csv": "fail", "live": "pass"}
