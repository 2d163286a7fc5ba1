"""The account list as an Arrow table: filter, sort and page on the server.

One table serves each version of a period's facts; the next version's
table replaces the rows of the changed accounts only. Each sort order is
computed once per table and kept, so a request filters and slices a sorted
table and never sorts Python lists.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from abmkpi.metrics.accounts import SORT_KEYS

Row = dict[str, Any]

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("account_id", pa.string()),
        ("source_id", pa.string()),
        ("name", pa.string()),
        ("owner", pa.string()),
        ("industry", pa.string()),
        ("fit_grade", pa.string()),
        ("seg", pa.string()),
        ("tier", pa.int32()),
        ("journey_stage", pa.string()),
        ("journey_rank", pa.int32()),
        ("score", pa.float64()),
        ("start_score", pa.float64()),
        ("peak_score", pa.float64()),
        ("aware", pa.bool_()),
        ("engaged", pa.bool_()),
        ("engaged_people", pa.int64()),
        ("engaged_decision_maker", pa.bool_()),
        ("engaged_influencer", pa.bool_()),
        ("engaged_user", pa.bool_()),
        ("mqa_at", pa.timestamp("us")),
        ("new_opportunity", pa.bool_()),
        ("open_deals", pa.int64()),
        ("open_pipeline", pa.float64()),
        ("open_pipeline_expansion_renewal", pa.float64()),
        ("won_deals", pa.int64()),
        ("won_amount", pa.float64()),
    ]
)

COLUMNS = [field.name for field in SCHEMA]
_SEARCH = "search"


def search_key(text: str) -> str:
    """Fold text for substring search: NFKC (full-width = half-width), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class AccountQuery:
    """Filters, sort and page of an account list request."""

    sort: str = "score"
    descending: bool | None = None  # None: the sort key's natural order
    tiers: tuple[int, ...] = ()
    stages: tuple[str, ...] = ()
    owner: str | None = None
    min_score: float | None = None
    search: str | None = None
    target: bool | None = None
    page: int = 1
    page_size: int = 50


class AccountTable:
    """Every account's list row of one period, ready to query."""

    def __init__(self, table: pa.Table):
        self.table = table
        self._sorted: dict[tuple[str, bool], pa.Table] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, rows: Iterable[Row]) -> AccountTable:
        return cls(_searchable(rows))

    def replaced(self, rows: list[Row], ids: Collection[str]) -> AccountTable:
        """Return a table with the rows of ``ids`` replaced by ``rows`` (an
        id without a row is dropped)."""
        changed = pa.array(sorted(ids), pa.string())
        kept = self.table.filter(pc.invert(pc.is_in(self.table["id"], changed)))
        return AccountTable(pa.concat_tables([kept, _searchable(rows)]))

    def __len__(self) -> int:
        return self.table.num_rows

    def query(self, query: AccountQuery) -> tuple[int, list[Row]]:
        """Return the number of matching accounts and the rows of one page."""
        table = self.sorted_by(query.sort, query.descending)
        mask = _mask(table, query)
        if mask is not None:
            table = table.filter(mask)
        offset = (query.page - 1) * query.page_size
        page = table.slice(offset, query.page_size).drop_columns([_SEARCH])
        return table.num_rows, page.to_pylist()

    def sorted_by(self, sort: str, descending: bool | None) -> pa.Table:
        column, natural = _sort_column(sort)
        wanted = natural if descending is None else descending
        key = (column, wanted)
        with self._lock:
            if key not in self._sorted:
                # Nulls sort last in either order (the default placement).
                order = "descending" if wanted else "ascending"
                indices = pc.sort_indices(
                    self.table,
                    sort_keys=[
                        (column, order),
                        ("name", "ascending"),
                        ("id", "ascending"),
                    ],
                )
                self._sorted[key] = self.table.take(indices)
            return self._sorted[key]

    def stage_counts(self, target_only: bool) -> dict[str, int]:
        """Count accounts per journey stage (of target accounts only, or all)."""
        table = self.table
        if target_only:
            table = table.filter(pc.equal(table["seg"], "target"))
        counts = pc.value_counts(table["journey_stage"]).to_pylist()
        return {item["values"]: item["counts"] for item in counts}


def _searchable(rows: Iterable[Row]) -> pa.Table:
    """Build the Arrow table of rows, with the folded text that search reads."""
    listed = list(rows)
    columns = {name: [row.get(name) for row in listed] for name in COLUMNS}
    table = pa.table(columns, schema=SCHEMA)
    text = pc.binary_join_element_wise(
        pc.fill_null(table["id"], ""),
        pc.fill_null(table["source_id"], ""),
        pc.fill_null(table["name"], ""),
        " ",
    )
    return table.append_column(_SEARCH, pc.utf8_lower(pc.utf8_normalize(text, "NFKC")))


def _sort_column(sort: str) -> tuple[str, bool]:
    if sort not in SORT_KEYS:
        raise ValueError(
            f"invalid sort key {sort!r}; use one of {', '.join(SORT_KEYS)}"
        )
    return SORT_KEYS[sort]


def _mask(table: pa.Table, query: AccountQuery) -> Any:
    conditions = []
    if query.tiers:
        conditions.append(pc.is_in(table["tier"], pa.array(query.tiers, pa.int32())))
    if query.stages:
        conditions.append(
            pc.is_in(table["journey_stage"], pa.array(query.stages, pa.string()))
        )
    if query.owner is not None:
        conditions.append(pc.equal(table["owner"], query.owner))
    if query.min_score is not None:
        conditions.append(pc.greater_equal(table["score"], query.min_score))
    if query.search:
        conditions.append(
            pc.match_substring(table[_SEARCH], pattern=search_key(query.search))
        )
    if query.target is not None:
        segment = "target" if query.target else "non_target"
        conditions.append(pc.equal(table["seg"], segment))
    if not conditions:
        return None
    mask = conditions[0]
    for condition in conditions[1:]:
        mask = pc.and_kleene(mask, condition)
    return pc.fill_null(mask, False)
