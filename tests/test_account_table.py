"""The account list table: filters, sort orders, search and row replacement."""

from __future__ import annotations

from typing import Any

import pytest

from abmkpi.web.account_table import AccountQuery, AccountTable


def row(number: int, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"demo:acc{number}",
        "account_id": f"demo:acc{number}",
        "source_id": f"acc{number}",
        "name": f"Account {number}",
        "owner": "Sato",
        "seg": "non_target",
        "tier": None,
        "journey_stage": "aware",
        "journey_rank": 4,
        "score": float(number),
        "aware": True,
        "engaged": False,
        "engaged_people": 0,
        "open_pipeline": None,
    }
    return {**base, **values}


ROWS = [
    row(1, name="株式会社ＡＢＣ", score=5.0),
    row(2, name="Beta Inc.", score=30.0, seg="target", tier=1, owner="Ito"),
    row(3, name="Gamma", score=30.0, seg="target", tier=2, open_pipeline=5000.0),
    row(4, name="Delta", score=12.5, journey_stage="mqa", journey_rank=2),
    row(5, name=None, score=0.0),
]


def ids(table: AccountTable, query: AccountQuery) -> list[str]:
    _, rows = table.query(query)
    return [entry["id"] for entry in rows]


def test_score_sort_breaks_ties_by_name() -> None:
    table = AccountTable.of(ROWS)
    assert ids(table, AccountQuery()) == [
        "demo:acc2",
        "demo:acc3",
        "demo:acc4",
        "demo:acc1",
        "demo:acc5",
    ]


def test_missing_values_sort_last_both_ways() -> None:
    table = AccountTable.of(ROWS)
    ascending = ids(table, AccountQuery(sort="pipeline", descending=False))
    descending = ids(table, AccountQuery(sort="pipeline", descending=True))
    assert ascending[0] == "demo:acc3"
    assert descending[0] == "demo:acc3"
    assert ids(table, AccountQuery(sort="name"))[-1] == "demo:acc5"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AccountQuery(tiers=(1,)), ["demo:acc2"]),
        (AccountQuery(stages=("mqa",)), ["demo:acc4"]),
        (AccountQuery(owner="Ito"), ["demo:acc2"]),
        (AccountQuery(min_score=12.5), ["demo:acc2", "demo:acc3", "demo:acc4"]),
        (AccountQuery(target=True), ["demo:acc2", "demo:acc3"]),
        (AccountQuery(search="abc"), ["demo:acc1"]),
        (AccountQuery(search="ＧＡＭ"), ["demo:acc3"]),
        (AccountQuery(search="acc4"), ["demo:acc4"]),
        (AccountQuery(tiers=(2,), min_score=31), []),
    ],
)
def test_filters(query: AccountQuery, expected: list[str]) -> None:
    assert ids(AccountTable.of(ROWS), query) == expected


def test_pages_slice_sorted_rows() -> None:
    table = AccountTable.of(ROWS)
    total, rows = table.query(AccountQuery(page=2, page_size=2))
    assert total == 5
    assert [entry["id"] for entry in rows] == ["demo:acc4", "demo:acc1"]


def test_replaced_equals_full_build() -> None:
    changed = [row(4, score=99.0, journey_stage="opportunity", journey_rank=1)]
    replaced = AccountTable.of(ROWS).replaced(changed, {"demo:acc4", "demo:acc5"})
    rebuilt = AccountTable.of([*ROWS[:3], *changed])
    query = AccountQuery(page_size=10)
    assert replaced.query(query) == rebuilt.query(query)
    assert len(replaced) == 4


def test_stage_counts() -> None:
    table = AccountTable.of(ROWS)
    assert table.stage_counts(target_only=False) == {"aware": 4, "mqa": 1}
    assert table.stage_counts(target_only=True) == {"aware": 2}


def test_unknown_sort_rejected() -> None:
    with pytest.raises(ValueError, match="invalid sort key 'size'"):
        AccountTable.of(ROWS).query(AccountQuery(sort="size"))
