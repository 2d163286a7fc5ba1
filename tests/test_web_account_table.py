"""The account table: filters, sort orders and pages over a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from abmkpi.periods import Period
from abmkpi.web.pages.account_table import (
    AccountPage,
    AccountQuery,
    account_page,
    search_key,
)
from abmkpi.web.state import WebState
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.salesforce_support import csv_text, run_import, write

_ACCOUNTS = csv_text(
    "Id,Name,OwnerId,Website",
    "001T00000000001AAA,株式会社ＡＢＣ,005A00000000001AAA,abc.example",
    "001T00000000002AAA,abc Trading,005A00000000002AAA,abc-trading.example",
    "001T00000000003AAA,Zeta Corp,005A00000000001AAA,zeta.example",
    "001T00000000004AAA,Alpha Inc,005A00000000002AAA,alpha.example",
)
_TASKS = csv_text(
    "Id,WhatId,Subject,Status,IsClosed,ActivityDate,CompletedDateTime,IsDeleted",
    "00TT00000000001AAA,001T00000000003AAA,Meeting,Completed,true,2024-05-10,"
    "2024-05-10T02:00:00.000+0000,false",
    "00TT00000000002AAA,001T00000000003AAA,Meeting,Completed,true,2024-06-10,"
    "2024-06-10T02:00:00.000+0000,false",
    "00TT00000000003AAA,001T00000000004AAA,Call,Completed,true,2024-06-12,"
    "2024-06-12T02:00:00.000+0000,false",
)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebState]:
    tmp_path = tmp_path_factory.mktemp("table")
    workspace = Workspace.init(tmp_path / "workspace")
    run_import(
        workspace,
        write(tmp_path / "Account.csv", _ACCOUNTS),
        write(tmp_path / "Task.csv", _TASKS),
    )
    targets = write(tmp_path / "targets.csv", "id,tier\n001T00000000003AAA,1\n")
    run_cli("-w", workspace.root, "targets", "set", targets)
    opened = WebState.open(Workspace.load(workspace.root))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def period(state: WebState) -> Period:
    return state.workspace.calendar.parse("FY2024-Q1")


def _names(page: AccountPage) -> list[str]:
    return [row["name"] for row in page.rows]


def _query(**values: str | int | None) -> AccountQuery:
    arguments = {
        name: values.get(name)
        for name in ("search", "tier", "stage", "owner", "sort", "order", "page")
    }
    return AccountQuery.parse(**arguments)  # type: ignore[arg-type]


def test_query_defaults_to_score() -> None:
    query = _query(sort="drop table", order="sideways", tier="x", page=0)
    assert query.sort == "score"
    assert query.descending is True
    assert query.tier == ""
    assert query.page == 1


def test_query_name_sort_ascends() -> None:
    assert _query(sort="name").descending is False


def test_search_key_folds_width_and_case() -> None:
    assert search_key("株式会社ＡＢＣ") == "株式会社abc"


def test_search_ignores_width_and_case(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query(search="ABC", sort="name"))
    assert _names(page) == ["abc Trading", "株式会社ＡＢＣ"]


def test_sort_by_name(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query(sort="name"))
    assert _names(page) == ["abc Trading", "Alpha Inc", "Zeta Corp", "株式会社ＡＢＣ"]


def test_sort_by_name_descending(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query(sort="name", order="desc"))
    assert _names(page) == ["株式会社ＡＢＣ", "Zeta Corp", "Alpha Inc", "abc Trading"]


def test_sort_by_score_ties_by_name(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query())
    assert _names(page) == ["Zeta Corp", "Alpha Inc", "abc Trading", "株式会社ＡＢＣ"]


def test_score_of_scored_accounts(state: WebState, period: Period) -> None:
    rows = {row["name"]: row for row in account_page(state, period, _query()).rows}
    # Two meetings of 20 points × 1.5 (tier 1), decayed with a 30-day
    # half-life to the period end, 2024-06-30 23:59:59.999999 in Tokyo.
    end = datetime(2024, 6, 30, 14, 59, 59, 999999)
    meetings = [datetime(2024, 5, 10, 2), datetime(2024, 6, 10, 2)]
    half_life = timedelta(days=30)
    expected = sum(30.0 * 0.5 ** ((end - at) / half_life) for at in meetings)
    assert rows["Zeta Corp"]["score"] == pytest.approx(expected, rel=1e-9)


def test_filter_by_owner(state: WebState, period: Period) -> None:
    owners = account_page(state, period, _query()).owners
    page = account_page(state, period, _query(owner=owners[0], sort="name"))
    assert len(owners) == 2
    assert _names(page) == ["Zeta Corp", "株式会社ＡＢＣ"]


def test_filter_targets(state: WebState, period: Period) -> None:
    assert _names(account_page(state, period, _query(tier="target"))) == ["Zeta Corp"]
    assert _names(account_page(state, period, _query(tier="1"))) == ["Zeta Corp"]
    assert account_page(state, period, _query(tier="2")).total == 0


def test_filter_non_targets(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query(tier="non_target", sort="name"))
    assert _names(page) == ["abc Trading", "Alpha Inc", "株式会社ＡＢＣ"]


def test_filter_by_stage(state: WebState, period: Period) -> None:
    engaged = account_page(state, period, _query(stage="engaged", sort="name"))
    unengaged = account_page(state, period, _query(stage="unengaged", sort="name"))
    assert _names(engaged) == ["Alpha Inc", "Zeta Corp"]
    assert _names(unengaged) == ["abc Trading", "株式会社ＡＢＣ"]


def test_second_page(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query(sort="name", page=2), page_size=3)
    assert _names(page) == ["株式会社ＡＢＣ"]
    assert (page.first, page.last, page.pages) == (4, 4, 2)


def test_page_past_end_shows_last(state: WebState, period: Period) -> None:
    page = account_page(state, period, _query(sort="name", page=9), page_size=3)
    assert page.page == 2


def test_tiers_offered(state: WebState, period: Period) -> None:
    assert account_page(state, period, _query()).tiers == [1]
