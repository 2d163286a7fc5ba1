"""PDCA actions as the diagnostics see them: low performers of every rule,
and actions that reuse a winning pattern, logged from the page, API or CLI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from abmkpi.diagnostics import CheckItem, CheckStatus, run_diagnostics
from abmkpi.pdca.actions import add_action, current_quarter, get_action
from abmkpi.pdca.messages import rule_label
from abmkpi.pdca.rules import checked_action_rule, is_pattern_rule, pattern_rule
from abmkpi.tokens import Role, create_token
from abmkpi.usage import utc_now
from abmkpi.workspace import Workspace
from tests.browser_support import CHROMIUM_ARGS, chromium_path
from tests.cli_support import run_cli
from tests.diagnostics_support import build_demo, copy_demo
from tests.pdca_support import build, key
from tests.test_pdca_checks import NOW, _rows
from tests.web_support import Server, error_of, serving

# The rule values -----------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    ["stalled_deal", "pattern", "pattern:campaign:c1", "pattern:asset:製品デモ"],
)
def test_rule_accepted(rule: str) -> None:
    assert checked_action_rule(f" {rule} ") == rule


@pytest.mark.parametrize(
    "rule", ["bad", "pattern:", "pattern:campaign", "pattern:campaign: ", "pattern:x:y"]
)
def test_rule_rejected(rule: str) -> None:
    with pytest.raises(ValueError, match="pattern:KIND:KEY with KIND one of"):
        checked_action_rule(rule)


def test_blank_rule_is_none() -> None:
    assert checked_action_rule("  ") is None


def test_pattern_rule_label() -> None:
    assert rule_label(pattern_rule("asset", "製品デモ")) == "Reuse a winning pattern"


def test_pattern_rule_recognised() -> None:
    assert is_pattern_rule("pattern:activity_type:event_attended")


# Low performers of every rule, on a small inline workspace --------------------


@pytest.fixture
def inline(tmp_path: Path) -> Workspace:
    return build(Workspace.init(tmp_path / "ws"), _rows())


def _check(workspace: Workspace, item_id: str) -> CheckItem:
    with workspace.open_store() as store:
        report = run_diagnostics(store, workspace.settings, NOW, [item_id])
    return report.find(item_id)


def test_every_rule_counted(inline: Workspace) -> None:
    item = _check(inline, "operation.low_performers")
    assert item.evidence["by_rule"] == {
        "no_engagement": 2,
        "engaged_without_opportunity": 1,
        "mqa_without_follow_up": 1,
        "stalled_deal": 1,
    }


def test_no_action_fails(inline: Workspace) -> None:
    item = _check(inline, "operation.low_performers")
    assert (item.status, item.evidence["period"]) == (CheckStatus.FAIL, "FY2024-Q4")


def test_stalled_deal_listed(inline: Workspace) -> None:
    item = _check(inline, "operation.low_performers")
    listed = item.evidence["accounts_without_action"]
    stalled = [row for row in listed if row["rule"] == "stalled_deal"]
    assert stalled == [
        {
            "id": key("deals"),
            "name": "Deals",
            "tier": 1,
            "rule": "stalled_deal",
            "opportunity_id": key("d1"),
            "facts": {
                "deal": "d1",
                "stage": "Proposal",
                "days": 50,
                "median": 20.0,
                "ratio": 2.5,
                "factor": 2,
            },
            "suggestion": "next_step_meeting",
            "action_rule": "stalled_deal",
        }
    ]


def test_stalled_deal_action_passes(inline: Workspace) -> None:
    with inline.open_store() as store:
        for name in ("never", "quiet", "stuck", "hot"):
            add_action(store, inline.settings, key(name), "Call", now=NOW)
    waiting = _check(inline, "operation.low_performers")
    assert waiting.status is CheckStatus.WARN
    assert [row["id"] for row in waiting.evidence["accounts_without_action"]] == [
        key("deals")
    ]
    with inline.open_store() as store:
        add_action(
            store,
            inline.settings,
            key("deals"),
            "Meeting",
            rule="stalled_deal",
            now=NOW,
        )
    assert _check(inline, "operation.low_performers").status is CheckStatus.PASS


def test_action_covers_for_its_window(inline: Workspace) -> None:
    # A done action counts for pdca.no_engagement_days (30) after it is logged.
    with inline.open_store() as store:
        for name in ("never", "quiet", "stuck", "hot", "deals"):
            action = add_action(store, inline.settings, key(name), "Call", now=NOW)
            store.execute(
                "UPDATE pdca_actions SET status = 'done', done_at = ?, "
                "created_at = created_at - INTERVAL 31 DAY WHERE id = ?",
                [NOW, action.id],
            )
    assert _check(inline, "operation.low_performers").status is CheckStatus.FAIL


def test_cli_adds_pattern_rule(inline: Workspace) -> None:
    result = run_cli(
        "-w", inline.root, "pdca", "action", "add", key("quiet"),
        "--title", "導入事例セミナーに招待",
        "--rule", "pattern:activity_type:event_attended",
    )  # fmt: skip
    assert result.returncode == 0
    with inline.open_store() as store:
        assert get_action(store, 1).rule == "pattern:activity_type:event_attended"


def test_cli_rejects_pattern_kind(inline: Workspace) -> None:
    result = run_cli(
        "-w", inline.root, "--lang", "en",
        "pdca", "action", "add", key("quiet"),
        "--title", "x", "--rule", "pattern:deal:d1",
    check=False)  # fmt: skip
    assert result.returncode == 2
    assert "unknown rule 'pattern:deal:d1'" in result.stderr


# A reuse_pattern suggestion logged from the page and the API -----------------


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("pdca-diagnostics"))


@dataclass
class Served:
    server: Server
    editor: str

    def client(self) -> httpx.Client:
        return self.server.client(self.editor)


@pytest.fixture
def served(demo_root: Path, tmp_path: Path) -> Iterator[Served]:
    workspace = copy_demo(demo_root, tmp_path)
    with workspace.open_store() as store:
        _, editor = create_token(store, "test editor", Role.EDITOR)
    with serving(workspace) as (server, _):
        yield Served(server, editor)


def _served_check(served: Served, item_id: str) -> CheckItem:
    state = served.server.state
    with state.reader() as store:
        report = run_diagnostics(store, state.workspace.settings, None, [item_id])
    return report.find(item_id)


def _quarter(served: Served) -> str:
    return current_quarter(served.server.state.workspace.settings, utc_now()).id


def test_api_reuse_suggestion_passes(served: Served) -> None:
    before = _served_check(served, "operation.patterns_reused")
    with served.client() as client:
        found = client.get(
            f"/api/v1/pdca/low-performers?period={_quarter(served)}"
        ).json()["low_performers"]
        entry = next(e for e in found if e["suggestion"]["code"] == "reuse_pattern")
        body = {
            "account": entry["account_id"],
            "title": entry["suggestion"]["text"]["ja"],
            "rule": entry["action_rule"],
        }
        added = client.post("/api/v1/pdca/actions", json=body).json()
    pattern = entry["suggestion"]["pattern"]
    after = _served_check(served, "operation.patterns_reused")
    assert before.status is CheckStatus.WARN
    assert added["rule"] == pattern_rule(pattern["kind"], pattern["key"])
    assert after.status is CheckStatus.PASS
    assert after.evidence["recent_pattern_actions"] == 1


def test_api_rejects_rule_with_allowed(served: Served) -> None:
    body = {"account": "demo:acc1", "title": "x", "rule": "pattern:deal:1"}
    with served.client() as client:
        response = client.post("/api/v1/pdca/actions", json=body)
    detail = error_of(response)["details"][0]
    assert response.status_code == 422
    assert detail["field"] == "body.rule"
    assert "no_engagement, engaged_without_opportunity" in detail["problem"]


playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed; install Debian's chromium package")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _open_page(served: Served, browser: Any, scope: str = "target") -> Any:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(120_000)
    page.goto(
        f"{served.server.url}/pdca?period={_quarter(served)}&scope={scope}&lang=ja"
    )
    return page


def test_page_reuse_suggestion_passes(served: Served, browser: Any) -> None:
    before = _served_check(served, "operation.patterns_reused")
    page = _open_page(served, browser)
    row = page.locator('.low-table tr:has(td[data-code="reuse_pattern"])').first
    rule = row.locator('input[name="rule"]').get_attribute("value")
    row.get_by_role("button").click()
    page.wait_for_load_state()
    logged = page.locator('.action-table tr[data-status="open"] [data-rule]').last
    text = logged.inner_text()
    page.close()
    after = _served_check(served, "operation.patterns_reused")
    assert before.status is CheckStatus.WARN
    assert _label_of(text) == "成功パターンの横展開"
    assert rule is not None and rule.startswith("pattern:")
    assert after.status is CheckStatus.PASS


def _label_of(text: str) -> str:
    return text.partition(":")[0]


def test_page_pattern_table_logs_reuse(served: Served, browser: Any) -> None:
    # Compared over all accounts, the demo's product demo asset is a candidate.
    page = _open_page(served, browser, "all")
    form = page.locator('.pattern-table form[data-role="reuse"]').first
    pattern = form.locator("xpath=ancestor::tr")
    expected = pattern_rule(
        pattern.get_attribute("data-kind") or "",
        pattern.get_attribute("data-key") or "",
    )
    form.locator("select").select_option(index=1)
    account = form.locator("select").input_value()
    form.get_by_role("button").click()
    page.wait_for_load_state()
    page.close()
    with served.server.state.reader() as store:
        rows = store.fetch_all("SELECT account_id, rule FROM pdca_actions")
    assert rows == [(account, expected)]


def test_summary_counts_breaks_and_accounts(tmp_path: Path) -> None:
    rows = _rows()
    # both, like stuck: engaged since 2024-12-10 (100 days before NOW, limit
    # 60) with no opportunity since, and active 5 days before NOW; its only
    # deal has been in Proposal since 2024-06-01.
    rows.account("both")
    rows.activity("both", "form_fill", datetime(2024, 12, 10, 3, 0))
    rows.activity("both", "web_visit", datetime(2025, 3, 15, 3, 0))
    rows.deal("d9", "both", datetime(2024, 6, 1, 3, 0))
    rows.stage("d9", "Proposal", datetime(2024, 6, 1, 3, 0))
    workspace = build(Workspace.init(tmp_path / "ws"), rows)
    item = _check(workspace, "operation.low_performers")
    # never, quiet, stuck, hot, deals and both: 7 breaks on 6 accounts.
    assert item.evidence["by_rule"] == {
        "no_engagement": 2,
        "engaged_without_opportunity": 2,
        "mqa_without_follow_up": 1,
        "stalled_deal": 2,
    }
    assert item.summary.render("en") == (
        "7 low-performer rule breaks on 6 target accounts in FY2024-Q4; 7 of "
        "these breaks have no open action or one logged in the last 30 days."
    )
    assert item.summary.render("ja") == (
        "FY2024-Q4、ターゲットアカウント 6 社で低調ルールへの該当が 7 件"
        "（アカウント×ルール）あります。そのうち 7 件は、未完了の施策も直近 30 "
        "日間に記録された施策もありません。"
    )
