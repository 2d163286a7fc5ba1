"""The embedded workspace store: one DuckDB file holding the canonical tables."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from abmkpi.errors import StoreError, UserMessage, WorkspaceError
from abmkpi.store.lock import connect_waiting
from abmkpi.store.schema import MIGRATIONS, SCHEMA_VERSION, Table

logger = logging.getLogger(__name__)

STAGE_PREFIX = "stage_"

# The meta key counting the times a process opened the store for writing.
# A server that finds the count changed assumes another process wrote.
WRITE_GENERATION_KEY = "write_generation"


@dataclass
class UpsertCounts:
    """What an upsert did: new rows, changed rows and rows already equal."""

    loaded: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.loaded += other.loaded
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


class Store:
    """A connection to one workspace's DuckDB file.

    Writes happen inside :meth:`transaction`, so a failing import or a killed
    process leaves the file as it was before the transaction began.

    A file another process holds open is waited for (see
    :mod:`abmkpi.store.lock`): ``wait`` seconds, by default the wait the
    command line set. With ``mark`` the wait leaves a marker file, which makes
    a running server close the store as soon as its requests end.
    """

    def __init__(
        self,
        path: Path,
        read_only: bool = False,
        connection: duckdb.DuckDBPyConnection | None = None,
        wait: float | None = None,
        mark: bool = True,
    ):
        self.path = path
        self.read_only = read_only
        try:
            self.con = connection or connect_waiting(path, read_only, wait, mark)
        except duckdb.IOException as error:
            raise damaged_store_error(path, error) from error
        self._in_transaction = False

    def cursor(self) -> Store:
        """Return a store on a new cursor of this connection, for another thread.

        DuckDB cursors share the database but not transactions, so each thread
        of a server works on its own cursor.
        """
        return Store(self.path, self.read_only, self.con.cursor())

    @classmethod
    def create(cls, path: Path) -> Store:
        """Create a new store file and run every migration."""
        if path.exists():
            raise WorkspaceError(
                UserMessage("store %(path)s already exists", path=path)
            )
        store = cls(path)
        store.migrate()
        return store

    @classmethod
    def open(
        cls,
        path: Path,
        read_only: bool = False,
        wait: float | None = None,
        mark: bool = True,
        count_open: bool = True,
    ) -> Store:
        """Open an existing store, bringing its schema up to date when writable.

        A writable open counts in the store's write generation (unless
        ``count_open`` is off, as for a server that tracks its own writes).
        """
        if not path.exists():
            raise WorkspaceError(
                UserMessage(
                    "store %(path)s not found; run 'abmkpi init DIR' to create a "
                    "workspace",
                    path=path,
                )
            )
        store = cls(path, read_only=read_only, wait=wait, mark=mark)
        try:
            version = store.schema_version()
        except duckdb.Error as error:
            store.close()
            raise damaged_store_error(path, error) from error
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                UserMessage(
                    "store %(path)s has schema version %(version)s, newer than "
                    "this abmkpi (%(supported)s); upgrade abmkpi",
                    path=path,
                    version=version,
                    supported=SCHEMA_VERSION,
                )
            )
        if version < SCHEMA_VERSION:
            if read_only:
                raise WorkspaceError(
                    UserMessage(
                        "store %(path)s needs migrating from version %(version)s; "
                        "run any abmkpi command that writes, such as 'abmkpi match'",
                        path=path,
                        version=version,
                    )
                )
            store.migrate()
        if not read_only and count_open:
            store.next_write_generation()
        return store

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Schema -----------------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        ).fetchone()
        if not exists or exists[0] == 0:
            return 0
        row = self.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone()
        return int(row[0]) if row else 0

    def write_generation(self) -> int:
        """Return how often processes opened the store for writing."""
        value = self.scalar(
            "SELECT value FROM meta WHERE key = ?", [WRITE_GENERATION_KEY]
        )
        return int(value) if value is not None else 0

    def next_write_generation(self) -> int:
        """Count one more writing open of the store and return the new count."""
        with self.transaction():
            generation = self.write_generation() + 1
            self.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [WRITE_GENERATION_KEY, str(generation)],
            )
        return generation

    def migrate(self) -> None:
        """Apply every migration newer than the store's schema version."""
        current = self.schema_version()
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[version - 1]:
                    self.execute(statement)
                self.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    [str(version)],
                )
            logger.info("migrated store %s to schema version %d", self.path, version)

    # Statements -------------------------------------------------------------

    def _cursor(
        self, sql: str, params: Sequence[Any] | None = None, table: str | None = None
    ) -> duckdb.DuckDBPyConnection:
        try:
            return self.con.execute(sql, params) if params else self.con.execute(sql)
        except duckdb.Error as error:
            raise StoreError(str(error), table=table, statement=sql) from error

    def execute(
        self, sql: str, params: Sequence[Any] | None = None, table: str | None = None
    ) -> None:
        """Run one statement; database errors name the table and the statement."""
        cursor = self._cursor(sql, params, table)
        # Statements without a result set (BEGIN, CREATE) have nothing to fetch.
        with suppress(duckdb.InvalidInputException):
            cursor.fetchall()

    def execute_many(
        self, sql: str, rows: Sequence[Sequence[Any]], table: str | None = None
    ) -> None:
        """Run one statement once per parameter row."""
        if not rows:
            return
        try:
            self.con.executemany(sql, rows)
        except duckdb.Error as error:
            raise StoreError(str(error), table=table, statement=sql) from error

    def fetch_all(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self._cursor(sql, params).fetchall()

    def fetch_one(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        rows = self.fetch_all(sql, params)
        return rows[0] if rows else None

    def fetch_dicts(
        self, sql: str, params: Sequence[Any] | None = None
    ) -> list[dict[str, Any]]:
        cursor = self._cursor(sql, params)
        names = [column[0] for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query without parameters and return its rows as an Arrow table."""
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as error:
            raise StoreError(str(error), statement=sql) from error

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.fetch_one(sql, params)
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run a block atomically: commit on success, roll back on any error."""
        if self._in_transaction:
            yield self
            return
        self.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK").fetchall()
            raise
        else:
            self.execute("COMMIT")
        finally:
            self._in_transaction = False

    def ibis(self) -> Any:
        """Return an Ibis backend over this connection, for KPI expressions."""
        import ibis

        return ibis.duckdb.from_connection(self.con)

    # Loading ----------------------------------------------------------------

    def stage(self, name: str, rows: pa.Table, column_types: dict[str, str]) -> str:
        """Copy an Arrow table into a temporary table cast to the given types."""
        stage_name = f"{STAGE_PREFIX}{name}"
        view = f"{stage_name}_arrow"
        self.con.register(view, rows)
        casts = ", ".join(
            f'CAST("{column}" AS {_base_type(column_types[column])}) AS "{column}"'
            for column in rows.column_names
        )
        try:
            self.execute(
                f"CREATE OR REPLACE TEMP TABLE {stage_name} AS "
                f"SELECT {casts} FROM {view}",
                table=name,
            )
        except StoreError:
            # The failed statement aborted the transaction, so unregistering
            # fails too; the StoreError describes what went wrong.
            with suppress(duckdb.Error):
                self.con.unregister(view)
            raise
        self.con.unregister(view)
        return stage_name

    def upsert(
        self, table: Table, rows: pa.Table, changes: str | None = None
    ) -> UpsertCounts:
        """Insert new rows and update changed ones, by the table's key.

        Only the columns present in ``rows`` are written, so a file that
        carries a few fields of a record never blanks the others. When
        ``changes`` names a temp table with the columns ``table_name``,
        ``id`` and ``is_new`` and the table's key is ``id``, the id of every
        inserted and updated row is added to it.
        """
        if rows.num_rows == 0:
            return UpsertCounts()
        unknown = set(rows.column_names) - set(table.columns)
        if unknown:
            raise StoreError(f"unknown columns {sorted(unknown)}", table=table.name)
        stage = self.stage(table.name, rows, table.columns)
        key_match = " AND ".join(f"t.{k} = s.{k}" for k in table.key)
        values = [c for c in rows.column_names if c not in table.key]
        differs = " OR ".join(f't."{c}" IS DISTINCT FROM s."{c}"' for c in values)
        if changes is not None and table.key == ("id",):
            self._record_changes(table, stage, changes, key_match, differs)
        counts = UpsertCounts()
        counts.loaded = self.scalar(
            f"SELECT count(*) FROM {stage} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table.name} t WHERE {key_match})"
        )
        if values:
            counts.updated = self.scalar(
                f"SELECT count(*) FROM {stage} s JOIN {table.name} t ON {key_match} "
                f"WHERE {differs}"
            )
            assignments = ", ".join(f'"{c}" = s."{c}"' for c in values)
            self.execute(
                f"UPDATE {table.name} AS t SET {assignments} FROM {stage} s "
                f"WHERE {key_match} AND ({differs})",
                table=table.name,
            )
        counts.unchanged = rows.num_rows - counts.loaded - counts.updated
        columns = ", ".join(f'"{c}"' for c in rows.column_names)
        self.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE {key_match})",
            table=table.name,
        )
        self.execute(f"DROP TABLE {stage}")
        return counts

    def _record_changes(
        self, table: Table, stage: str, changes: str, key_match: str, differs: str
    ) -> None:
        """Add the ids of the staged rows that are new or differ to ``changes``."""
        self.execute(
            f"""
            INSERT INTO {changes} (table_name, id, is_new)
            SELECT ?, s.id, t.id IS NULL
            FROM {stage} s LEFT JOIN {table.name} t ON {key_match}
            WHERE t.id IS NULL OR ({differs or "false"})
            """,
            [table.name],
            table=table.name,
        )

    def replace_rows(
        self, table: Table, rows: pa.Table, where: str, params: list
    ) -> None:
        """Delete the rows matching ``where`` and insert ``rows`` in their place."""
        self.execute(
            f"DELETE FROM {table.name} WHERE {where}", params, table=table.name
        )
        if rows.num_rows == 0:
            return
        stage = self.stage(table.name, rows, table.columns)
        columns = ", ".join(f'"{c}"' for c in rows.column_names)
        self.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage}",
            table=table.name,
        )
        self.execute(f"DROP TABLE {stage}")


def damaged_store_error(path: Path, error: Exception) -> WorkspaceError:
    """Return the error for a store file that DuckDB cannot read."""
    reason = str(error).rstrip("!. ")
    return WorkspaceError(
        f"cannot read store {path}: {reason}. The file is damaged or not an abmkpi "
        "store; restore it from a backup, or create a new workspace with "
        "'abmkpi init' and import your files again."
    )


def _base_type(column_type: str) -> str:
    """Strip constraints (NOT NULL, DEFAULT …) from a column definition."""
    words = column_type.split()
    kept: list[str] = []
    for word in words:
        if word.upper() in {"NOT", "NULL", "DEFAULT"}:
            break
        kept.append(word)
    return " ".join(kept)
