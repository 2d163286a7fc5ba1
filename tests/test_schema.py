"""The store schema: migrations build exactly the canonical table definitions."""

from __future__ import annotations

from pathlib import Path

from abmkpi.store.database import Store
from abmkpi.store.schema import CANONICAL_TABLES, MIGRATIONS, SCHEMA_VERSION


def stored_columns(store: Store, table: str) -> set[str]:
    rows = store.fetch_all(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
        [table],
    )
    return {row[0] for row in rows}


def test_fresh_store_matches_definitions(tmp_path: Path) -> None:
    with Store.create(tmp_path / "store.duckdb") as store:
        for table in CANONICAL_TABLES:
            assert stored_columns(store, table.name) == set(table.columns), table.name


def test_version1_store_migrates(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        for statement in MIGRATIONS[0]:
            store.execute(statement)
        store.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        store.execute(
            "INSERT INTO opportunities (id, source_system, source_id, name) "
            "VALUES ('hubspot:1', 'hubspot', '1', 'Pilot')"
        )
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert "pipeline" in stored_columns(store, "opportunities")
        assert stored_columns(store, "opportunity_people") == {
            "opportunity_id",
            "person_id",
            "role",
            "source_system",
            "is_deleted",
        }
        assert store.scalar("SELECT name FROM opportunities") == "Pilot"
