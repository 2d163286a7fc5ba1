"""The account table: filter, sort and page the account list on the server.

The full list (every live account with its facts for the period) is cached
per data version, and so is each sort order of it. A request then costs one
pass over the sorted list to filter it and a slice to page it, which stays
fast at 100,000 accounts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from abmkpi.metrics.accounts import JOURNEY_STAGES
from abmkpi.periods import Period
from abmkpi.web.queries import account_rows, cache_of, clock_key, now_minute
from abmkpi.web.state import WebState

PAGE_SIZE = 50

# Sort key → (row column, descending by default).
SORT_COLUMNS = {
    "name": ("name", False),
    "tier": ("tier", False),
    "stage": ("journey_rank", False),
    "owner": ("owner", False),
    "score": ("score", True),
    "people": ("engaged_people", True),
    "pipeline": ("open_pipeline", True),
    "won": ("won_amount", True),
}

# Values of the tier filter besides a tier number.
SEGMENT_FILTERS = ("target", "non_target")


@dataclass(frozen=True)
class AccountQuery:
    """The table's filters, sort order and page, as given in the URL."""

    search: str = ""
    tier: str = ""
    stage: str = ""
    owner: str = ""
    sort: str = "score"
    descending: bool = True
    page: int = 1

    @classmethod
    def parse(
        cls,
        search: str | None,
        tier: str | None,
        stage: str | None,
        owner: str | None,
        sort: str | None,
        order: str | None,
        page: int | None,
    ) -> AccountQuery:
        """Build a query from URL parameters; unknown values fall back to none."""
        chosen_sort = sort if sort in SORT_COLUMNS else "score"
        descending = SORT_COLUMNS[chosen_sort][1]
        if order in ("asc", "desc"):
            descending = order == "desc"
        tier_text = (tier or "").strip()
        if tier_text not in SEGMENT_FILTERS and not tier_text.isdigit():
            tier_text = ""
        return cls(
            search=(search or "").strip()[:200],
            tier=tier_text,
            stage=stage if stage in JOURNEY_STAGES else "",
            owner=(owner or "").strip()[:200],
            sort=chosen_sort,
            descending=descending,
            page=max(1, page or 1),
        )


@dataclass
class AccountPage:
    """One page of the filtered, sorted table, with what the filters offer."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    query: AccountQuery
    page_size: int = PAGE_SIZE
    owners: list[str] = field(default_factory=list)
    tiers: list[int] = field(default_factory=list)

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.page_size)


def search_key(text: str | None) -> str:
    """Return text folded for search: NFKC (full/half width) and case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _sorted_rows(
    state: WebState, period: Period, sort: str, descending: bool
) -> list[dict[str, Any]]:
    now = now_minute()
    key = (
        "accounts_sorted",
        state.data_version,
        period.id,
        clock_key(state, period, now),
        sort,
        descending,
    )

    def compute() -> list[dict[str, Any]]:
        column = SORT_COLUMNS[sort][0]
        rows = account_rows(state, period)
        present = [row for row in rows if row.get(column) is not None]
        missing = [row for row in rows if row.get(column) is None]
        present.sort(key=lambda row: _name_key(row))
        present.sort(key=lambda row: _sort_value(row[column]), reverse=descending)
        missing.sort(key=_name_key)
        return present + missing

    return cache_of(state).get(key, compute)


def _sort_value(value: Any) -> Any:
    return search_key(value) if isinstance(value, str) else value


def _name_key(row: dict[str, Any]) -> str:
    return search_key(row.get("name"))


def _search_keys(state: WebState, period: Period) -> dict[str, str]:
    """Return each account's folded name by id, so a search folds no names."""
    now = now_minute()
    key = ("search_keys", state.data_version, period.id, clock_key(state, period, now))

    def compute() -> dict[str, str]:
        return {row["id"]: _name_key(row) for row in account_rows(state, period)}

    return cache_of(state).get(key, compute)


def _matches(
    row: dict[str, Any], query: AccountQuery, needle: str, names: dict[str, str]
) -> bool:
    if query.tier == "target" and row["seg"] != "target":
        return False
    if query.tier == "non_target" and row["seg"] == "target":
        return False
    if query.tier.isdigit() and (
        row["seg"] != "target" or row["tier"] != int(query.tier)
    ):
        return False
    if query.stage and row["journey_stage"] != query.stage:
        return False
    if query.owner and (row.get("owner") or "") != query.owner:
        return False
    return not needle or needle in names.get(row["id"], "")


def account_page(
    state: WebState, period: Period, query: AccountQuery, page_size: int = PAGE_SIZE
) -> AccountPage:
    """Return the accounts matching ``query``: filtered, sorted and paged."""
    rows = _sorted_rows(state, period, query.sort, query.descending)
    needle = search_key(query.search)
    names = _search_keys(state, period) if needle else {}
    matching = [row for row in rows if _matches(row, query, needle, names)]
    pages = max(1, -(-len(matching) // page_size))
    page = min(query.page, pages)
    start = (page - 1) * page_size
    return AccountPage(
        rows=matching[start : start + page_size],
        total=len(matching),
        page=page,
        pages=pages,
        query=query,
        page_size=page_size,
        owners=_owners(state, period),
        tiers=sorted({row["tier"] for row in rows if row.get("tier") is not None}),
    )


def _owners(state: WebState, period: Period) -> list[str]:
    now = now_minute()
    key = ("owners", state.data_version, period.id, clock_key(state, period, now))

    def compute() -> list[str]:
        owners = {row["owner"] for row in account_rows(state, period) if row["owner"]}
        return sorted(owners, key=search_key)

    return cache_of(state).get(key, compute)
