"""Bulk writing of demo rows: Arrow tables inserted with one SQL statement each.

Rows carry record numbers instead of ids; the INSERT builds ``demo:<prefix><n>``
ids in DuckDB, so millions of activities never become Python strings.
Repeated strings (types, assets, company names) travel as Arrow dictionary
arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from abmkpi.canonical import SourceSystem
from abmkpi.demo.rows import ACTIVITY_TYPES, CHANNEL_BY_CODE, RAW_TYPE_BY_CODE, Rows
from abmkpi.store.database import Store
from abmkpi.store.schema import ACTIVITIES, Table

logger = logging.getLogger(__name__)

SOURCE = SourceSystem.DEMO.value
_VIEW = "demo_rows"

# Id prefixes per record kind: demo:acc12, demo:per345, …
ACCOUNT = "acc"
PERSON = "per"
ACTIVITY = "act"
CAMPAIGN = "cmp"
OPPORTUNITY = "opp"
STAGE_CHANGE = "osh"
CONTRACT = "ctr"
NPS = "nps"
FX_RATE = "fx"


def record_id(prefix: str, number: int) -> str:
    return f"{SOURCE}:{prefix}{number}"


def _id_sql(prefix: str, column: str, with_source: bool = True) -> str:
    head = f"{SOURCE}:{prefix}" if with_source else prefix
    return f"'{head}' || CAST(\"{column}\" AS VARCHAR)"


def insert(
    store: Store,
    table: Table,
    rows: pa.Table,
    prefix: str | None = None,
    references: Mapping[str, tuple[str, str]] | None = None,
) -> int:
    """Insert ``rows`` into ``table``; return the number of rows written.

    With ``prefix``, column ``n`` numbers the records and becomes ``id`` (and
    ``source_id`` where the table has one). ``references`` maps an id column
    to the (prefix, number column) it is built from; a null number gives a
    null id.
    """
    if rows.num_rows == 0:
        return 0
    references = references or {}
    helper_columns = {"n", *(column for _, column in references.values())}
    selects: dict[str, str] = {
        name: f'"{name}"'
        for name in rows.column_names
        if name not in helper_columns and name in table.columns
    }
    if prefix is not None:
        selects["id"] = _id_sql(prefix, "n")
        if "source_id" in table.columns:
            selects["source_id"] = _id_sql(prefix, "n", with_source=False)
    if "source_system" in table.columns:
        selects["source_system"] = f"'{SOURCE}'"
    for target, (target_prefix, column) in references.items():
        selects[target] = _id_sql(target_prefix, column)
    columns = ", ".join(f'"{name}"' for name in selects)
    sql = (
        f"INSERT INTO {table.name} ({columns}) "
        f"SELECT {', '.join(selects.values())} FROM {_VIEW}"
    )
    store.con.register(_VIEW, rows)
    try:
        store.execute(sql, table=table.name)
    finally:
        store.con.unregister(_VIEW)
    return rows.num_rows


def dictionary(indices: np.ndarray, values: pa.Array, valid: np.ndarray | None = None):
    """Return a dictionary array; rows where ``valid`` is false are null."""
    mask = None if valid is None else ~valid
    safe = indices if valid is None else np.where(valid, indices, 0)
    return pa.DictionaryArray.from_arrays(
        pa.array(safe.astype(np.int32), mask=mask), values
    )


def numbers(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Return 1-based record numbers, null where ``valid`` is false."""
    return pa.array(values.astype(np.int64) + 1, mask=~valid)


class ActivityWriter:
    """Writes activity blocks, numbering them in the order they arrive."""

    def __init__(
        self,
        store: Store,
        company_names: list[str],
        company_states: list[str | None],
        assets: list[str],
    ):
        self.store = store
        self.written = 0
        self._types = pa.array([activity.value for activity in ACTIVITY_TYPES])
        self._channels = pa.array(CHANNEL_BY_CODE)
        self._raw_types = pa.array(RAW_TYPE_BY_CODE)
        self._names = pa.array(company_names)
        self._states = pa.array([state or "" for state in company_states])
        self._has_state = np.array([state is not None for state in company_states])
        self._assets = pa.array(assets)

    def write(self, rows: Rows) -> None:
        if not len(rows):
            return
        order = np.argsort(rows.at, kind="stable")
        rows = rows.select(order)
        count = len(rows)
        anonymous = rows.anonymous
        table = pa.table(
            {
                "n": np.arange(self.written + 1, self.written + count + 1),
                "occurred_at": pa.array(rows.at, type=pa.timestamp("us")),
                "type": dictionary(rows.kind, self._types),
                "channel": dictionary(rows.kind, self._channels),
                "raw_type": dictionary(rows.kind, self._raw_types),
                "person_n": numbers(rows.person, rows.person >= 0),
                "account_n": numbers(rows.company, rows.account_link),
                "company_name": dictionary(rows.company, self._names, anonymous),
                "state": dictionary(
                    rows.company,
                    self._states,
                    anonymous & self._has_state[rows.company],
                ),
                "campaign_n": numbers(rows.campaign, rows.campaign >= 0),
                "asset": dictionary(rows.asset, self._assets, rows.asset >= 0),
            }
        )
        insert(
            self.store,
            ACTIVITIES,
            table,
            ACTIVITY,
            {
                "person_id": (PERSON, "person_n"),
                "source_account_id": (ACCOUNT, "account_n"),
                "campaign_id": (CAMPAIGN, "campaign_n"),
            },
        )
        self.written += count
