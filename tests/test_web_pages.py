"""The dashboard in headless Chromium against a real `abmkpi serve` process.

The workspace is a 120-account demo plus one Salesforce account named
``<script>alert(1)</script>`` with a deal named ``<img src=x onerror=…>``.
Screenshots of every page go to artifacts/screenshots/.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from abmkpi.web.pages.account_table import search_key
from abmkpi.web.pages.cards import OVERVIEW_KEYS
from abmkpi.web.pages.departments import CUSTOMER_SUCCESS_KEYS
from abmkpi.web.pages.formats import Formatter
from abmkpi.workspace import Workspace
from tests.browser_support import (
    CHROMIUM_ARGS,
    IMAGE_DEAL,
    PERIOD,
    SCREENSHOTS,
    SCRIPT_NAME,
    XSS_ACCOUNT_ID,
    ServedWorkspace,
    WebWorkspace,
    build_web_workspace,
    chromium_path,
)

playwright_api = pytest.importorskip("playwright.sync_api")

# The first request of a period computes its KPIs; later ones are cached.
LOAD_TIMEOUT_MS = 180_000
XSS_PATH = "/accounts/salesforce%3A001X00000000XSSAAA"

PAGES = {
    "overview": f"/?period={PERIOD}",
    "accounts": f"/accounts?period={PERIOD}",
    "account": f"{XSS_PATH}?period={PERIOD}",
    "demo-account": f"/accounts/demo%3Aacc70?period={PERIOD}",
    "marketing": f"/marketing?period={PERIOD}",
    "sales": f"/sales?period={PERIOD}",
    "customer-success": f"/customer-success?period={PERIOD}",
    "health": "/health",
    "pdca": f"/pdca?period={PERIOD}",
    "diagnostics": "/diagnostics",
    "handoffs": "/handoffs",
    "login": "/login",
}


@dataclass
class Watched:
    """A browser page with the console errors and dialogs it produced."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> WebWorkspace:
    return build_web_workspace(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def server(
    web: WebWorkspace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedWorkspace]:
    served = ServedWorkspace(web.root, tmp_path_factory.mktemp("log") / "serve.log")
    try:
        served.wait_until_up()
        yield served
    finally:
        served.stop()


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


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    result = Watched(page)
    page.on(
        "console",
        lambda message: (
            result.errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: result.errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        result.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield result
    context.close()


def _open(watched: Watched, server: ServedWorkspace, path: str) -> Any:
    page = watched.page
    response = page.goto(server.url + path, wait_until="load")
    for chart in page.locator("[data-figure]").all():
        chart.locator(".main-svg").first.wait_for()
    return response


def _formatter(web: WebWorkspace, language: str) -> Formatter:
    workspace = Workspace.load(web.root)
    currency = workspace.settings.workspace.reporting_currency
    return Formatter(language, currency, workspace.calendar)


def _expected_results(web: WebWorkspace, segment: str) -> dict[str, dict[str, Any]]:
    results = {}
    for result in web.kpis["results"]:
        if result["segment"] == segment:
            key = result["id"]
            if result.get("variant") is not None:
                key += ":" + result["variant"]
            results[key] = result
    return results


def _card_text(fmt: Formatter, result: dict[str, Any]) -> str:
    if result["unit"] == "currency":
        return fmt.money_compact(result["value"])
    return fmt.unit_value(result["value"], result["unit"])


def test_overview_cards_match_cli(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    _open(watched, server, f"/?period={PERIOD}&segment=target&lang=en")
    cards = watched.page.locator(".card.kpi[data-kpi]").evaluate_all(
        """cards => cards.map(card => ({
            key: card.dataset.kpi,
            value: card.dataset.value,
            text: card.querySelector('[data-role=value]').textContent.trim(),
        }))"""
    )
    expected = _expected_results(web, "target")
    fmt = _formatter(web, "en")
    assert [card["key"] for card in cards] == [
        key for key in OVERVIEW_KEYS if key in expected
    ]
    for card in cards:
        result = expected[card["key"]]
        if result["value"] is None:
            assert card["value"] == "", card["key"]
        else:
            assert float(card["value"]) == pytest.approx(result["value"], rel=1e-9)
        assert card["text"] == _card_text(fmt, result), card["key"]


def test_overview_contact_rate_card(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    _open(watched, server, f"/?period={PERIOD}&segment=target&lang=en")
    card = watched.page.locator('.card.kpi[data-kpi="contact_rate"]')
    result = _expected_results(web, "target")["contact_rate"]
    fmt = _formatter(web, "en")
    counts = f"{fmt.number(result['numerator'])} / {fmt.number(result['denominator'])}"
    assert card.locator('[data-role="counts"]').inner_text() == counts
    assert card.locator('[data-role="target"]').inner_text() == "60.0%"
    assert (
        card.locator('[data-role="status"]').get_attribute("data-status")
        == (result["status"])
    )
    low, high = result["ci95"]
    interval = f"{fmt.percent(low)} – {fmt.percent(high)}"
    assert card.locator('[data-role="interval"]').inner_text() == interval


def test_overview_funnel_matches_accounts(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    _open(watched, server, f"/?period={PERIOD}&lang=en")
    targets = Counter(
        row["journey_stage"] for row in web.accounts if row["seg"] == "target"
    )
    everyone = Counter(row["journey_stage"] for row in web.accounts)
    rows = watched.page.locator(".funnel-table tr[data-stage]").evaluate_all(
        """rows => rows.map(row => [row.dataset.stage,
            row.querySelector('[data-role=target-count]').textContent.trim(),
            row.querySelector('[data-role=all-count]').textContent.trim()])"""
    )
    stages = ["unengaged", "aware", "engaged", "mqa", "opportunity", "customer"]
    assert [row[0] for row in rows] == stages
    for stage, target_count, all_count in rows:
        assert int(target_count) == targets.get(stage, 0), stage
        assert int(all_count.replace(",", "")) == everyone.get(stage, 0), stage
    assert watched.page.locator("#funnel .main-svg").count() >= 1


def test_customer_success_cards(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    _open(watched, server, f"/customer-success?period={PERIOD}&segment=all&lang=en")
    keys = watched.page.locator(".card.kpi[data-kpi]").evaluate_all(
        "cards => cards.map(card => card.dataset.kpi)"
    )
    assert keys == CUSTOMER_SUCCESS_KEYS


def test_customer_success_renewal_card(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    page = watched.page
    _open(watched, server, f"/customer-success?period={PERIOD}&segment=all&lang=en")
    result = _expected_results(web, "all")["renewal_rate"]
    fmt = _formatter(web, "en")
    card = page.locator('.card.kpi[data-kpi="renewal_rate"]')
    assert result["value"] is not None
    assert float(card.get_attribute("data-value")) == pytest.approx(result["value"])
    assert card.locator('[data-role="value"]').inner_text() == fmt.percent(
        result["value"]
    )
    counts = f"{result['numerator']} / {result['denominator']}"
    assert card.locator('[data-role="counts"]').inner_text() == counts
    renewed = page.locator('#renewals tr[data-outcome="renewed"] td').first
    assert renewed.inner_text() == str(result["details"]["renewed"])


def test_customer_success_lists_kept(watched: Watched, server: ServedWorkspace) -> None:
    page = watched.page
    _open(watched, server, f"/customer-success?period={PERIOD}&lang=ja")
    assert page.locator("#contracts-title").inner_text() == "契約"
    assert page.locator("#nps-title").inner_text() == "NPS 回答"
    label = page.locator('.card.kpi[data-kpi="renewal_rate"] .kpi-label')
    assert label.inner_text() == "契約更新率"


def test_japanese_labels(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    page = watched.page
    _open(watched, server, f"/?period={PERIOD}&segment=target&lang=ja")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "概要"
    assert page.locator(".period-label").inner_text() == "2024年度 第2四半期"
    groups = page.locator(".kpi-group > h2").all_inner_texts()
    assert groups == ["マーケティング", "営業", "カスタマーサクセス"]
    card = page.locator('.card.kpi[data-kpi="contact_rate"]')
    assert card.locator(".kpi-label").inner_text() == "接点化率"
    assert card.locator('[data-role="target-wrap"]').inner_text() == "目標 60.0%"
    pipeline = _expected_results(web, "target")["pipeline_created"]["value"]
    shown = page.locator('[data-kpi="pipeline_created"] [data-role="value"]')
    assert shown.inner_text() == _formatter(web, "ja").money_compact(pipeline)
    assert shown.inner_text().startswith("￥")
    navigation = page.locator(".mainnav a").all_inner_texts()
    assert navigation == [
        "概要",
        "アカウント",
        "マーケティング",
        "営業",
        "カスタマーサクセス",
        "営業連携",
        "データ品質",
        "PDCAサイクル",
        "診断",
    ]


def test_language_choice_kept(watched: Watched, server: ServedWorkspace) -> None:
    page = watched.page
    _open(watched, server, f"/accounts?period={PERIOD}&lang=ja")
    _open(watched, server, f"/marketing?period={PERIOD}")
    assert page.locator("h1").inner_text() == "マーケティング"
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Marketing"
    _open(watched, server, "/health")
    assert page.locator("h1").inner_text() == "Data health"


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_without_console_errors(
    watched: Watched, server: ServedWorkspace, name: str, language: str
) -> None:
    path = PAGES[name]
    separator = "&" if "?" in path else "?"
    response = _open(watched, server, f"{path}{separator}lang={language}")
    if watched.page.locator("#kpi-cards").count():
        watched.page.locator("#kpi-cards[data-trend-loaded]").wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watched.page.screenshot(
        path=str(SCREENSHOTS / f"{name}-{language}.png"), full_page=True
    )
    assert response.status == 200
    assert watched.errors == []


@pytest.mark.parametrize(
    "path",
    [
        f"/?period={PERIOD}",
        f"/accounts?period={PERIOD}&search=script",
        f"/accounts?period={PERIOD}&tier=target&sort=name",
        f"{XSS_PATH}?period={PERIOD}",
    ],
)
def test_script_name_shown_as_text(
    watched: Watched, server: ServedWorkspace, path: str
) -> None:
    _open(watched, server, path)
    page = watched.page
    shown = page.get_by_text(SCRIPT_NAME, exact=True)
    assert shown.first.is_visible()
    assert (
        page.evaluate("document.querySelectorAll('main script:not([type])').length")
        == 0
    )
    assert watched.dialogs == []
    assert watched.errors == []


def test_deal_name_shown_as_text(watched: Watched, server: ServedWorkspace) -> None:
    _open(watched, server, f"{XSS_PATH}?period={PERIOD}&lang=en")
    page = watched.page
    assert page.title() == f"{SCRIPT_NAME} · abmkpi"
    assert page.get_by_text(IMAGE_DEAL, exact=True).is_visible()
    assert page.locator('img[src="x"]').count() == 0
    assert page.get_by_text("Shared deal").count() == 0
    assert watched.dialogs == []


def test_accounts_pagination(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    page = watched.page
    total = len(web.accounts)
    _open(watched, server, f"/accounts?period={PERIOD}&lang=en")
    summary = page.locator('[data-role="summary"]')
    rows = page.locator("#accounts-table tbody tr")
    assert summary.inner_text() == f"1–50 of {total} accounts"
    assert rows.count() == 50
    page.locator('a[data-page="next"]').click()
    page.wait_for_load_state("load")
    assert summary.inner_text() == f"51–100 of {total} accounts"
    page.locator('a[data-page="next"]').click()
    page.wait_for_load_state("load")
    assert summary.inner_text() == f"101–{total} of {total} accounts"
    assert rows.count() == total - 100
    assert page.locator('a[data-page="next"]').count() == 0


def _row_names(page: Any) -> list[str]:
    return page.locator("#accounts-table tbody .account-name").all_inner_texts()


def test_accounts_sorting(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    page = watched.page
    _open(watched, server, f"/accounts?period={PERIOD}&lang=en")
    by_score = sorted(web.accounts, key=lambda row: -row["score"])
    assert _row_names(page)[0] == by_score[0]["name"]
    scores = page.locator('#accounts-table [data-role="score"]').all_inner_texts()
    numbers = [float(text.replace(",", "")) for text in scores]
    assert numbers == sorted(numbers, reverse=True)

    page.locator('th a[data-sort="name"]').click()
    page.wait_for_load_state("load")
    names = sorted((row["name"] for row in web.accounts), key=search_key)
    assert _row_names(page) == names[:50]
    header = page.locator("th[aria-sort]")
    assert header.get_attribute("aria-sort") == "ascending"

    page.locator('th a[data-sort="name"]').click()
    page.wait_for_load_state("load")
    assert _row_names(page) == sorted(names, key=search_key, reverse=True)[:50]
    assert header.get_attribute("aria-sort") == "descending"


def test_accounts_filtering(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    page = watched.page
    _open(watched, server, f"/accounts?period={PERIOD}&lang=en")
    page.locator('select[name="stage"]').select_option("customer")
    page.locator('.filters button[type="submit"]').click()
    page.wait_for_load_state("load")
    customers = [row for row in web.accounts if row["journey_stage"] == "customer"]
    rows = page.locator("#accounts-table tbody tr")
    assert rows.count() == min(50, len(customers))
    badges = page.locator("#accounts-table tbody .badge.journey-customer")
    assert badges.count() == rows.count()

    page.locator('select[name="stage"]').select_option("")
    page.locator('select[name="tier"]').select_option("target")
    page.locator('.filters button[type="submit"]').click()
    page.wait_for_load_state("load")
    assert sorted(_row_names(page)) == sorted(row["name"] for row in web.targets)

    page.locator('select[name="tier"]').select_option("")
    page.locator('input[name="search"]').fill("SCRIPT")
    page.locator('.filters button[type="submit"]').click()
    page.wait_for_load_state("load")
    assert _row_names(page) == [SCRIPT_NAME]


def test_live_update_changes_card(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    if not server.has_route("/api/v1/activities"):
        pytest.skip("this build has no ingest route (POST /api/v1/activities)")
    if web.editor_token is None:
        pytest.skip("this build has no 'abmkpi token create' to make an editor token")

    page = watched.page
    _open(watched, server, f"/?period={PERIOD}&segment=target&lang=en")
    page.locator('#live-status[data-state="open"]').wait_for()
    card = page.locator('.card.kpi[data-kpi="engagement_score"]')
    before = card.get_attribute("data-value")
    page.evaluate("window.beforeIngest = true")

    events = [
        {
            "event_id": f"browser-test-{index}",
            "occurred_at": f"2024-09-{20 + index}T10:00:00+09:00",
            "type": "sales_meeting",
            "account_id": "demo:acc31",
        }
        for index in range(5)
    ]
    response = httpx.post(
        server.url + "/api/v1/activities",
        json={"events": events},
        headers={"Authorization": f"Bearer {web.editor_token}"},
        timeout=60,
    )
    assert response.status_code == 200

    page.wait_for_function(
        "([key, before]) => document.querySelector(`.card.kpi[data-kpi='${key}']`)"
        ".dataset.value !== before",
        arg=["engagement_score", before],
        timeout=LOAD_TIMEOUT_MS,
    )
    assert float(card.get_attribute("data-value")) > float(before)
    assert page.evaluate("window.beforeIngest") is True
    assert watched.errors == []


def test_live_update_changes_row(
    watched: Watched, server: ServedWorkspace, web: WebWorkspace
) -> None:
    if not server.has_route("/api/v1/activities"):
        pytest.skip("this build has no ingest route (POST /api/v1/activities)")
    if web.editor_token is None:
        pytest.skip("this build has no 'abmkpi token create' to make an editor token")

    page = watched.page
    _open(watched, server, f"/accounts?period={PERIOD}&tier=target&lang=en")
    page.locator('#live-status[data-state="open"]').wait_for()
    row = page.locator('#accounts-table tr[data-account-id="demo:acc52"]')
    before = row.locator('[data-role="score"]').inner_text()
    page.evaluate("window.beforeIngest = true")

    event = {
        "event_id": "browser-row-test",
        "occurred_at": "2024-09-28T10:00:00+09:00",
        "type": "event_attended",
        "account_id": "demo:acc52",
    }
    response = httpx.post(
        server.url + "/api/v1/activities",
        json={"events": [event]},
        headers={"Authorization": f"Bearer {web.editor_token}"},
        timeout=60,
    )
    assert response.status_code == 200

    changed = page.locator('#accounts-table tr.updated[data-account-id="demo:acc52"]')
    changed.wait_for()
    after = changed.locator('[data-role="score"]').inner_text()
    assert float(after.replace(",", "")) > float(before.replace(",", ""))
    assert page.evaluate("window.beforeIngest") is True


def test_screenshot_folder_ignored_by_git() -> None:
    ignore = (Path(__file__).resolve().parents[1] / ".gitignore").read_text()
    assert "/artifacts/" in ignore.splitlines()


def test_unknown_page_is_html(watched: Watched, server: ServedWorkspace) -> None:
    response = watched.page.goto(server.url + "/no-such-page?lang=en")
    assert response.status == 404
    assert watched.page.locator("h1").inner_text() == "Page not found"


def test_script_account_is_a_target(web: WebWorkspace) -> None:
    assert XSS_ACCOUNT_ID in {row["id"] for row in web.targets}
