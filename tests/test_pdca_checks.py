"""Low performers of a small inline workspace, one account per rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from abmkpi.config import Settings
from abmkpi.pdca.checks import LowPerformer, low_performers
from abmkpi.pdca.patterns import Pattern, PatternKind
from abmkpi.pdca.rules import Rule
from abmkpi.pdca.suggestions import choose_suggestion
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.pdca_support import Rows, build, by_rule, key

# FY2024-Q4 runs 2025-01-01..2025-03-31 (Asia/Tokyo); the checks run as of NOW.
PERIOD = "FY2024-Q4"
NOW = datetime(2025, 3, 20, 3, 0)


def _rows() -> Rows:
    rows = Rows()
    for name in ("never", "quiet", "stuck", "hot", "followed", "deals"):
        rows.account(name)
    rows.account("other", tier=None)
    # quiet: last engaged 40 days before NOW (limit 30).
    rows.activity("quiet", "web_visit", datetime(2025, 2, 8, 3, 0))
    # stuck: engaged 100 days before NOW without an opportunity (limit 60).
    rows.activity("stuck", "form_fill", datetime(2024, 12, 10, 3, 0))
    rows.activity("stuck", "web_visit", datetime(2025, 3, 15, 3, 0))
    # hot and followed: events of 15 points × 1.5 for tier 1 reach the MQA
    # threshold (60) on the third; followed gets a sales call the next day.
    for account in ("hot", "followed"):
        for minute in range(0, 50, 10):
            at = datetime(2025, 3, 1, 3, minute)
            rows.activity(account, "event_attended", at)
    rows.activity("followed", "sales_call", datetime(2025, 3, 2, 3, 0))
    rows.activity("deals", "sales_meeting", datetime(2025, 3, 18, 3, 0))
    _add_deals(rows)
    return rows


def _add_deals(rows: Rows) -> None:
    # Completed Proposal stays of other deals: 10, 20 and 30 days; median 20.
    starts = [datetime(2024, 10, 5), datetime(2024, 11, 1), datetime(2024, 12, 1)]
    for number, (start, days) in enumerate(
        zip(starts, (10, 20, 30), strict=True), start=1
    ):
        name = f"x{number}"
        rows.deal(name, "other", start, "Closed Won", closed=True, won=True)
        rows.stage(name, "Proposal", start)
        rows.stage(name, "Closed Won", start + timedelta(days=days), True, True)
    # d1: in Proposal for 50 days at NOW (2.5 × 20 > 2 × 20); d2: 20 days.
    rows.deal("d1", "deals", datetime(2025, 1, 20, 3, 0))
    rows.stage("d1", "Qualification", datetime(2025, 1, 20, 3, 0))
    rows.stage("d1", "Proposal", datetime(2025, 1, 29, 3, 0))
    rows.deal("d2", "deals", datetime(2025, 2, 28, 3, 0))
    rows.stage("d2", "Proposal", datetime(2025, 2, 28, 3, 0))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = Workspace.init(tmp_path_factory.mktemp("pdca") / "ws")
    build(workspace, _rows())
    return workspace


@pytest.fixture(scope="module")
def checked(workspace: Workspace) -> dict[tuple[str, str], Any]:
    period = workspace.calendar.parse(PERIOD)
    with workspace.open_store(read_only=True) as store:
        found = low_performers(store, workspace.settings, period, NOW)
    return by_rule(found)


def test_rules_found(checked: dict[tuple[str, str], LowPerformer]) -> None:
    assert sorted(checked) == [
        ("deals", "stalled_deal"),
        ("hot", "mqa_without_follow_up"),
        ("never", "no_engagement"),
        ("quiet", "no_engagement"),
        ("stuck", "engaged_without_opportunity"),
    ]


def test_never_engaged(checked: dict[tuple[str, str], LowPerformer]) -> None:
    entry = checked[("never", "no_engagement")]
    assert entry.facts == {"limit": 30, "days": None, "last": None}
    assert entry.suggestion.code == "retarget"


def test_quiet_days_since_last(checked: dict[tuple[str, str], LowPerformer]) -> None:
    entry = checked[("quiet", "no_engagement")]
    assert entry.facts == {"limit": 30, "days": 40, "last": "2025-02-08"}
    assert entry.reason["en"] == (
        "No engagement for 40 days (last on 2025-02-08); the limit is 30 days."
    )
    assert entry.reason["ja"] == (
        "40日間接点がありません（最終接点 2025-02-08）。基準は30日です。"
    )


def test_stuck_engaged_days(checked: dict[tuple[str, str], LowPerformer]) -> None:
    entry = checked[("stuck", "engaged_without_opportunity")]
    assert entry.facts["days"] == 100
    assert entry.facts["since"] == "2024-12-10"
    assert entry.facts["decision_maker_engaged"] is False


def test_stuck_needs_decision_maker(
    checked: dict[tuple[str, str], LowPerformer],
) -> None:
    entry = checked[("stuck", "engaged_without_opportunity")]
    assert entry.suggestion.code == "executive_briefing"
    assert entry.suggestion.text["ja"] == (
        "決裁者との接点がありません。エグゼクティブブリーフィングに決裁者を招待しましょう。"
    )


def test_mqa_hours_without_follow_up(
    checked: dict[tuple[str, str], LowPerformer],
) -> None:
    # The third event (03:20) crosses 60; NOW is 18 days 23h40m later.
    entry = checked[("hot", "mqa_without_follow_up")]
    assert entry.facts == {"since": "2025-03-01", "hours": 455, "sla": 48}
    assert entry.suggestion.code == "sales_call"
    assert entry.journey_stage == "mqa"


def test_stalled_deal_numbers(checked: dict[tuple[str, str], LowPerformer]) -> None:
    entry = checked[("deals", "stalled_deal")]
    assert entry.opportunity_id == key("d1")
    assert entry.facts == {
        "deal": "d1",
        "stage": "Proposal",
        "days": 50,
        "median": 20.0,
        "ratio": 2.5,
        "factor": 2,
    }
    assert entry.suggestion.code == "next_step_meeting"


def test_stalled_deal_reason(checked: dict[tuple[str, str], LowPerformer]) -> None:
    entry = checked[("deals", "stalled_deal")]
    assert entry.reason["en"] == (
        "Deal d1 has been in Proposal for 50 days, 2.5× the median stay of 20.0 "
        "days (limit 2×)."
    )


def _column_text(output: str, index: int) -> str:
    """Return the text of one table column over all its lines, without spaces."""
    pieces = []
    for line in output.splitlines():
        if line.startswith("│"):
            pieces.append(line.strip("│").split("│")[index])
    return "".join("".join(pieces).split())


@pytest.mark.parametrize("language", ["ja", "en"])
def test_cli_check_shows_full_reasons(
    workspace: Workspace,
    checked: dict[tuple[str, str], LowPerformer],
    language: str,
) -> None:
    # 80 columns leave the reasons too little room for one line each.
    output = run_cli(
        "-w", workspace.root, "--lang", language, "pdca", "check", "-p", PERIOD,
        "--as-of", "2025-03-20T03:00:00Z", columns=80,
    ).stdout  # fmt: skip
    reasons = _column_text(output, 3)
    assert "…" not in output
    for entry in checked.values():
        full = "".join(entry.reason[language].split())
        assert full in reasons, entry.reason[language]


def test_handoffs_replace_score_crossings(
    make_workspace: Callable[..., Workspace],
) -> None:
    workspace = build(make_workspace(), _rows())
    with workspace.open_store() as store:
        # Recorded handoffs: stuck crossed on 03-10 03:00, hot never did.
        store.execute(
            "INSERT INTO handoffs (id, account_id, crossed_at, score, threshold, "
            "trigger, evidence, created_at, sla_due_at) VALUES (1, ?, ?, 61, 60, "
            "'score', '{}', ?, ?)",
            [key("stuck"), datetime(2025, 3, 10, 3), NOW, NOW],
        )
    period = workspace.calendar.parse(PERIOD)
    with workspace.open_store(read_only=True) as store:
        found = by_rule(low_performers(store, workspace.settings, period, NOW))
    assert ("hot", "mqa_without_follow_up") not in found
    assert found[("stuck", "mqa_without_follow_up")].facts["hours"] == 240


def _pattern(lift: float | None) -> Pattern:
    return Pattern(
        kind=PatternKind.CAMPAIGN,
        key=key("cases"),
        label="導入事例・料金資料",
        reached_with=46,
        accounts_with=187,
        reached_without=33,
        accounts_without=1813,
        lift=lift,
        lift_low=8.9,
        lift_high=20.6,
        p_value=3e-29,
        p_adjusted=1.6e-27,
        significant=True,
        weak=False,
    )


def test_suggest_reuse_pattern() -> None:
    rule = Rule.ENGAGED_WITHOUT_OPPORTUNITY
    suggestion = choose_suggestion(rule, True, Settings(), _pattern(13.51))
    assert suggestion.code == "reuse_pattern"
    assert suggestion.text["en"] == (
        "Re-target with 導入事例・料金資料, the strongest pattern before "
        "opportunities (lift 13.5)."
    )
    assert suggestion.pattern == {
        "kind": "campaign",
        "key": key("cases"),
        "label": "導入事例・料金資料",
        "lift": 13.51,
    }


def test_suggest_retarget_without_pattern() -> None:
    suggestion = choose_suggestion(Rule.NO_ENGAGEMENT, False, Settings(), None)
    assert suggestion.code == "retarget"


def test_suggest_unbounded_lift() -> None:
    suggestion = choose_suggestion(
        Rule.NO_ENGAGEMENT, False, Settings(), _pattern(None)
    )
    assert "(lift ∞)" in suggestion.text["en"]
