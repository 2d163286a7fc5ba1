"""PDCA actions: add, list, close, review, and their measured effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from abmkpi.errors import NotFoundError
from abmkpi.pdca.actions import (
    Action,
    ActionStatus,
    add_action,
    cancel_action,
    complete_action,
    list_actions,
    review_actions,
)
from abmkpi.pdca.plan import account_plans
from abmkpi.usage import UsageKind, last_usage
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json
from tests.pdca_support import Rows, add_later, build, key

NOW = datetime(2025, 3, 20, 3, 0)
LATER = datetime(2025, 3, 25, 3, 0)
HALF_LIFE = 30.0


def _rows() -> Rows:
    rows = Rows()
    rows.account("acme", tier=3)  # tier 3 scores without a multiplier
    rows.activity("acme", "form_fill", datetime(2024, 12, 10, 3, 0))
    rows.activity("acme", "web_visit", datetime(2025, 3, 15, 3, 0))
    return rows


def _decayed(points: float, days: float) -> float:
    return points * 0.5 ** (days / HALF_LIFE)


@pytest.fixture
def acme(make_workspace: Callable[..., Workspace]) -> Workspace:
    return build(make_workspace(), _rows())


def _add(workspace: Workspace, title: str, due: date | None = None) -> Action:
    with workspace.open_store() as store:
        return add_action(
            store,
            workspace.settings,
            "acme",
            title,
            owner="佐藤",
            due_date=due,
            rule="engaged_without_opportunity",
            now=NOW,
        )


def test_add_keeps_score_before(acme: Workspace) -> None:
    action = _add(acme, "Executive briefing")
    # A form fill 100 days and a web visit 5 days before NOW.
    expected = _decayed(10, 100) + _decayed(1, 5)
    assert action.score_before == pytest.approx(expected, rel=1e-9)
    assert action.stage_before == "engaged"


def test_add_stores_fields(acme: Workspace) -> None:
    action = _add(acme, "  Executive briefing  ", date(2025, 4, 30))
    assert action.account_id == key("acme")
    assert action.account_name == "Acme"
    assert action.title == "Executive briefing"
    assert action.owner == "佐藤"
    assert action.due_date == date(2025, 4, 30)
    assert action.status is ActionStatus.OPEN
    assert action.created_at == NOW


def test_add_rejects_unknown_rule(acme: Workspace) -> None:
    with acme.open_store() as store, pytest.raises(ValueError, match="unknown rule"):
        add_action(store, acme.settings, "acme", "Call", rule="bad_luck", now=NOW)


def test_add_rejects_empty_title(acme: Workspace) -> None:
    with acme.open_store() as store, pytest.raises(ValueError, match="title"):
        add_action(store, acme.settings, "acme", "   ", now=NOW)


def test_add_rejects_unknown_account(acme: Workspace) -> None:
    with acme.open_store() as store, pytest.raises(NotFoundError):
        add_action(store, acme.settings, "nobody", "Call", now=NOW)


def _effects(workspace: Workspace) -> dict[str, Action]:
    with workspace.open_store(read_only=True) as store:
        actions = list_actions(store, workspace.settings, now=LATER)
    return {action.title: action for action in actions}


@pytest.fixture(scope="module")
def effects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Action]:
    acme = build(Workspace.init(tmp_path_factory.mktemp("acme") / "ws"), _rows())
    done = _add(acme, "Briefing held")
    _add(acme, "Overdue call", date(2025, 3, 21))
    _add(acme, "Later mail", date(2025, 4, 30))
    with acme.open_store() as store:
        complete_action(store, done.id, "CFO attended", now=LATER)
    # After the action: a meeting and a new deal on 03-22.
    later = Rows()
    later.activity("acme", "sales_meeting", datetime(2025, 3, 22, 3, 0))
    later.deal("acme-deal", "acme", datetime(2025, 3, 22, 3, 0))
    add_later(acme, later, first_activity=100)
    return _effects(acme)


def test_effect_of_done_action(effects: dict[str, Action]) -> None:
    action = effects["Briefing held"]
    expected = _decayed(10, 105) + _decayed(1, 10) + _decayed(20, 3)
    assert action.measured is True
    assert action.score_now == pytest.approx(expected, rel=1e-9)
    before = _decayed(10, 100) + _decayed(1, 5)
    assert action.score_change == pytest.approx(expected - before, rel=1e-9)


def test_effect_stage_moves_up(effects: dict[str, Action]) -> None:
    action = effects["Briefing held"]
    assert action.stage_now == "opportunity"
    # engaged → MQA → opportunity: two steps up.
    assert action.stage_change == 2


def test_effect_of_overdue_action(effects: dict[str, Action]) -> None:
    action = effects["Overdue call"]
    assert action.overdue is True
    assert action.measured is True


def test_open_action_not_measured(effects: dict[str, Action]) -> None:
    action = effects["Later mail"]
    assert action.overdue is False
    assert action.measured is False
    assert action.score_now is None


def test_done_action_note(effects: dict[str, Action]) -> None:
    action = effects["Briefing held"]
    assert action.status is ActionStatus.DONE
    assert action.note == "CFO attended"
    assert action.done_at == LATER


def test_list_by_status(acme: Workspace) -> None:
    first = _add(acme, "One")
    _add(acme, "Two")
    with acme.open_store() as store:
        cancel_action(store, first.id, now=LATER)
        cancelled = list_actions(store, acme.settings, ActionStatus.CANCELLED, LATER)
        still_open = list_actions(store, acme.settings, ActionStatus.OPEN, LATER)
    assert [action.title for action in cancelled] == ["One"]
    assert [action.title for action in still_open] == ["Two"]


def test_close_twice_rejected(acme: Workspace) -> None:
    action = _add(acme, "Once")
    with acme.open_store() as store:
        complete_action(store, action.id, now=LATER)
        with pytest.raises(ValueError, match="already done"):
            complete_action(store, action.id, now=LATER)


def test_close_unknown_action(acme: Workspace) -> None:
    with acme.open_store() as store, pytest.raises(NotFoundError):
        complete_action(store, 999)


def test_review_marks_open_actions(acme: Workspace) -> None:
    done = _add(acme, "Done one")
    _add(acme, "Open one")
    _add(acme, "Open two")
    with acme.open_store() as store:
        complete_action(store, done.id, now=LATER)
        reviewed = review_actions(store, "lead", now=LATER)
        stamps = store.fetch_all(
            "SELECT title, reviewed_at FROM pdca_actions ORDER BY id"
        )
        last = last_usage(store, UsageKind.PDCA_REVIEWED)
    assert reviewed == 2
    assert stamps == [("Done one", None), ("Open one", LATER), ("Open two", LATER)]
    assert last == LATER


def test_cli_action_round_trip(acme: Workspace) -> None:
    run_cli(
        "-w", acme.root, "pdca", "action", "add", "acme", "--title", "Call CFO",
        "--owner", "sato", "--due", "2025-04-30", "--rule", "stalled_deal",
    )  # fmt: skip
    listed = run_json("-w", acme.root, "pdca", "action", "list", "--status", "open")
    assert [(a["id"], a["title"], a["owner"]) for a in listed["actions"]] == [
        (1, "Call CFO", "sato")
    ]


def test_cli_rejects_bad_due(acme: Workspace) -> None:
    result = run_cli(
        "-w", acme.root, "--lang", "en",
        "pdca", "action", "add", "acme", "--title", "Call",
        "--due", "30/04/2025", check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "'30/04/2025' is not a date; use YYYY-MM-DD" in result.stderr


def test_plan_next_to_actual(acme: Workspace) -> None:
    with acme.open_store() as store:
        store.execute(
            "INSERT INTO kpi_targets VALUES ('engagement_score', 'FY2024-Q4', ?, "
            "50, ?)",
            [f"account:{key('acme')}", NOW],
        )
        store.execute(
            "INSERT INTO kpi_targets VALUES ('engagement_score', 'FY2024-Q4', "
            "'target', 40, ?)",
            [NOW],
        )
    period = acme.calendar.parse("FY2024-Q4")
    with acme.open_store(read_only=True) as store:
        lines = account_plans(store, acme.settings, period)
    # The score as of the period's last instant, 2025-03-31 14:59:59.999999 UTC.
    end = datetime(2025, 3, 31, 14, 59, 59, 999999)
    day = 86_400.0
    form_days = (end - datetime(2024, 12, 10, 3, 0)).total_seconds() / day
    visit_days = (end - datetime(2025, 3, 15, 3, 0)).total_seconds() / day
    expected = _decayed(10, form_days) + _decayed(1, visit_days)
    assert [(line.account_id, line.kpi_key, line.target) for line in lines] == [
        (key("acme"), "engagement_score", 50.0)
    ]
    assert lines[0].actual == pytest.approx(expected, rel=1e-9)
