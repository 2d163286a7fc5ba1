"""Imports that derive only their changed records, each compared with the
same imports followed by a full 'abmkpi match'.

Every case copies one demo workspace twice, imports the same files into
both with the real CLI, runs 'abmkpi match' on the second copy only, and
then compares every canonical and derived table of the two stores whole.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from abmkpi.demo import DemoSize, generate
from abmkpi.store.schema import CANONICAL_TABLES
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli

END = date(2025, 3, 31)
SIZE = DemoSize(accounts=150, activities=15_000, target_accounts=10)

INCREMENTAL = "recomputed derived data of"
FULL = "recomputing all derived data"

COMPARED_TABLES = [table.name for table in CANONICAL_TABLES] + [
    "account_domains",
    "match_issues",
]

MAPPING = """source = "nightly"
time_zone = "UTC"

[[tables]]
file = "activities*.csv"
target = "activities"

[tables.columns]
id = "id"
occurred_at = "occurred_at"
type = "type"
email = "email"
person_id = { column = "person", ref_source = "demo" }
company_name = "company"
source_account_id = { column = "account", ref_source = "demo" }

[[tables]]
file = "own-activities*.csv"
target = "activities"

[tables.columns]
id = "id"
occurred_at = "occurred_at"
type = "type"
person_id = "person"

[[tables]]
file = "leads*.csv"
target = "people"

[tables.columns]
id = "id"
kind = { value = "lead" }
email = "email"
company_name = "company"
title = "title"
created_at = "created_at"

[[tables]]
file = "nps*.csv"
target = "nps_responses"

[tables.columns]
id = "id"
email = "email"
person_id = { column = "person", ref_source = "demo" }
score = "score"
responded_at = "responded_at"

[[tables]]
file = "merges*.csv"
target = "merges"

[tables.columns]
entity = { value = "person" }
loser_id = { column = "loser", ref_source = "demo" }
winner_id = { column = "winner", ref_source = "demo" }

[[tables]]
file = "accounts*.csv"
target = "accounts"

[tables.columns]
id = "id"
name = "name"
website = "website"
"""

ACTIVITY_HEADER = ["id", "occurred_at", "type", "email", "person", "company", "account"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental-demo") / "ws"
    generate(Workspace.init(root), SIZE, seed=3, end_date=END)
    return root


@pytest.fixture(scope="module")
def facts(demo: Path) -> dict[str, Any]:
    """Stored values the cases build their files from."""
    con = duckdb.connect(str(demo / "abmkpi.duckdb"), read_only=True)
    live = "NOT is_deleted AND merged_into_id IS NULL AND email IS NOT NULL"
    people = con.execute(
        f"SELECT source_id, email, account_id FROM people WHERE {live} "
        "ORDER BY id LIMIT 40"
    ).fetchall()
    domains = con.execute(
        "SELECT domain FROM account_domains WHERE origin = 'website' "
        "ORDER BY domain LIMIT 12"
    ).fetchall()
    names = con.execute(
        "SELECT name FROM accounts WHERE NOT is_deleted ORDER BY id LIMIT 8"
    ).fetchall()
    accounts = con.execute(
        "SELECT source_id FROM accounts WHERE NOT is_deleted ORDER BY id LIMIT 3"
    ).fetchall()
    # Two live people with activities on different accounts, for a merge.
    pair = con.execute(
        """
        SELECT p.source_id, p.email, p.account_id FROM people p
        WHERE NOT p.is_deleted AND p.merged_into_id IS NULL
          AND p.email IS NOT NULL AND p.account_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM activities a WHERE a.person_id = p.id)
        ORDER BY p.id LIMIT 40
        """
    ).fetchall()
    con.close()
    loser = pair[0]
    winner = next(row for row in pair if row[2] != loser[2])
    return {
        "people": people,
        "domains": [row[0] for row in domains],
        "names": [row[0] for row in names],
        "accounts": [row[0] for row in accounts],
        "loser": loser,
        "winner": winner,
    }


@pytest.fixture
def twins(demo: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two copies of the demo workspace and a folder for the import files."""
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    shutil.copytree(demo, incremental)
    shutil.copytree(demo, full)
    files = tmp_path / "files"
    files.mkdir()
    (files / "nightly.toml").write_text(MAPPING, encoding="utf-8")
    return incremental, full, files


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def activity(
    key: str,
    email: str = "",
    person: str = "",
    company: str = "",
    account: str = "",
    day: int = 1,
) -> list[Any]:
    return [
        key,
        f"2025-03-{day:02d}T09:00:00",
        "web_visit",
        email,
        person,
        company,
        account,
    ]


def import_into(workspaces: tuple[Path, Path], files: list[Path]) -> list[str]:
    """Import the files into both workspaces; return the first one's log."""
    logs = []
    mapping = files[0].parent / "nightly.toml"
    for root in workspaces:
        result = run_cli(
            "-w", root, "-v", "import", "csv", *files, "--mapping", mapping
        )
        logs.append(result.stderr)
    return logs


def assert_path(log: str, expected: str) -> None:
    other = FULL if expected == INCREMENTAL else INCREMENTAL
    assert expected in log, log
    assert other not in log, log


def assert_same_tables(incremental: Path, full: Path) -> None:
    """Run 'abmkpi match' on ``full`` and compare every table with
    ``incremental``, row for row."""
    run_cli("-w", full, "match")
    con = duckdb.connect()
    con.execute(f"ATTACH '{incremental / 'abmkpi.duckdb'}' AS inc (READ_ONLY)")
    con.execute(f"ATTACH '{full / 'abmkpi.duckdb'}' AS ful (READ_ONLY)")
    for table in COMPARED_TABLES:
        only_incremental = con.execute(
            f"SELECT * FROM inc.{table} EXCEPT ALL SELECT * FROM ful.{table} "
            "ORDER BY ALL LIMIT 5"
        ).fetchall()
        only_full = con.execute(
            f"SELECT * FROM ful.{table} EXCEPT ALL SELECT * FROM inc.{table} "
            "ORDER BY ALL LIMIT 5"
        ).fetchall()
        assert only_incremental == [], f"{table}: {only_incremental} vs {only_full}"
        assert only_full == [], f"{table}: rows missing after incremental import"
    con.close()


def count_rows(root: Path, sql: str) -> Any:
    con = duckdb.connect(str(root / "abmkpi.duckdb"), read_only=True)
    value = con.execute(sql).fetchone()
    con.close()
    return value[0] if value else None


def test_activities_of_known_people(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    people = facts["people"]
    rows = [activity(f"k{i}", email=email) for i, (_, email, _) in enumerate(people)]
    rows += [activity(f"p{i}", person=pid) for i, (pid, _, _) in enumerate(people[:10])]
    rows += [activity(f"n{i}", company=name) for i, name in enumerate(facts["names"])]
    rows += [activity(f"a{i}", account=acc) for i, acc in enumerate(facts["accounts"])]
    rows.append(activity("gone", person="per-not-stored"))
    first = write_csv(files / "activities-1.csv", ACTIVITY_HEADER, rows)
    nps = write_csv(
        files / "nps-1.csv",
        ["id", "email", "person", "score", "responded_at"],
        [
            ["r1", people[0][1], "", 9, "2025-03-02T10:00:00"],
            ["r2", "", people[1][0], 3, "2025-03-02T11:00:00"],
        ],
    )
    logs = import_into((incremental, full), [first, nps])
    assert_path(logs[0], INCREMENTAL)

    # The same ids again, now naming other people: updated activities.
    changed = [activity(f"k{i}", email=people[i + 1][1], day=2) for i in range(10)]
    second = write_csv(files / "activities-2.csv", ACTIVITY_HEADER, changed)
    logs = import_into((incremental, full), [second])
    assert_path(logs[0], INCREMENTAL)

    matched = count_rows(
        incremental,
        "SELECT count(*) FROM activities WHERE source_system = 'nightly' "
        "AND account_id IS NOT NULL",
    )
    assert matched >= 40
    assert_same_tables(incremental, full)


def test_unknown_emails_then_their_leads(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    domains = facts["domains"]
    rows = [activity(f"d{i}", email=f"new{i}@{d}") for i, d in enumerate(domains)]
    rows += [activity(f"u{i}", email=f"x{i}@unknown{i}.example") for i in range(4)]
    rows += [
        activity(f"o{i}", email=f"lead{i}@{domains[i]}", person=f"nobody{i}")
        for i in range(3)
    ]
    rows += [activity(f"l{i}", email=f"lead{i}@{domains[i]}") for i in range(6)]
    first = write_csv(files / "activities-1.csv", ACTIVITY_HEADER, rows)
    own = write_csv(
        files / "own-activities-1.csv",
        ["id", "occurred_at", "type", "person"],
        [[f"own{i}", "2025-03-03T08:00:00", "form_fill", f"L{i}"] for i in range(4)],
    )
    nps = write_csv(
        files / "nps-1.csv",
        ["id", "email", "person", "score", "responded_at"],
        [["r9", f"lead1@{domains[1]}", "", 10, "2025-03-02T10:00:00"]],
    )
    logs = import_into((incremental, full), [first, own, nps])
    assert_path(logs[0], INCREMENTAL)
    assert (
        count_rows(
            incremental,
            "SELECT count(*) FROM activities WHERE id LIKE 'nightly:own%' "
            "AND match_note = 'person_not_found'",
        )
        == 4
    )

    leads = write_csv(
        files / "leads-1.csv",
        ["id", "email", "company", "title", "created_at"],
        [
            [f"L{i}", f"lead{i}@{domains[i]}", "", "CTO", "2025-03-04T00:00:00"]
            for i in range(6)
        ]
        + [["L9", "", facts["names"][0], "Manager", "2025-03-04T00:00:00"]],
    )
    logs = import_into((incremental, full), [leads])
    assert_path(logs[0], INCREMENTAL)
    assert (
        count_rows(
            incremental,
            "SELECT count(*) FROM activities WHERE id LIKE 'nightly:own%' "
            "AND identity_id LIKE 'nightly:L%'",
        )
        == 4
    )
    assert_same_tables(incremental, full)


def test_free_mail_addresses(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    names = facts["names"]
    rows = [
        activity(f"f{i}", email=f"someone{i}@gmail.com", company=names[i])
        for i in range(5)
    ]
    rows += [activity(f"y{i}", email=f"taro{i}@yahoo.co.jp") for i in range(3)]
    first = write_csv(files / "activities-1.csv", ACTIVITY_HEADER, rows)
    leads = write_csv(
        files / "leads-1.csv",
        ["id", "email", "company", "title", "created_at"],
        [[f"F{i}", f"fm{i}@gmail.com", names[i], "VP Marketing", ""] for i in range(4)],
    )
    logs = import_into((incremental, full), [first, leads])
    assert_path(logs[0], INCREMENTAL)
    assert (
        count_rows(
            incremental,
            "SELECT count(*) FROM match_issues "
            "WHERE kind = 'free_mail_domain' AND record_id = 'gmail.com'",
        )
        == 1
    )
    assert_same_tables(incremental, full)


def test_activities_of_merged_person(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    loser, winner = facts["loser"], facts["winner"]
    merges = write_csv(
        files / "merges-1.csv",
        ["loser", "winner"],
        [[loser[0], winner[0]], ["ghost-loser", "ghost-winner"]],
    )
    logs = import_into((incremental, full), [merges])
    assert_path(logs[0], FULL)

    rows = [
        activity("m1", person=loser[0]),
        activity("m2", email=loser[1]),
        activity("m3", email=winner[1]),
    ]
    first = write_csv(files / "activities-1.csv", ACTIVITY_HEADER, rows)
    nps = write_csv(
        files / "nps-1.csv",
        ["id", "email", "person", "score", "responded_at"],
        [["rm", "", loser[0], 8, "2025-03-02T10:00:00"]],
    )
    logs = import_into((incremental, full), [first, nps])
    assert_path(logs[0], INCREMENTAL)
    account = count_rows(
        incremental, "SELECT account_id FROM activities WHERE id = 'nightly:m1'"
    )
    assert account == winner[2]
    assert_same_tables(incremental, full)


def test_file_touching_accounts_falls_back(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    accounts = write_csv(
        files / "accounts-1.csv",
        ["id", "name", "website"],
        [["new1", "Brand New Corp", "https://brand-new-corp.example/"]],
    )
    rows = [activity(f"b{i}", email=f"b{i}@brand-new-corp.example") for i in range(3)]
    first = write_csv(files / "activities-1.csv", ACTIVITY_HEADER, rows)
    logs = import_into((incremental, full), [accounts, first])
    assert_path(logs[0], FULL)
    assert (
        count_rows(
            incremental,
            "SELECT count(*) FROM activities WHERE id LIKE 'nightly:b%' "
            "AND account_id = 'nightly:new1'",
        )
        == 3
    )
    assert_same_tables(incremental, full)


def test_lead_with_stored_address_falls_back(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    email = facts["people"][0][1]
    leads = write_csv(
        files / "leads-1.csv",
        ["id", "email", "company", "title", "created_at"],
        [["D1", email, "", "CEO", "2025-03-04T00:00:00"]],
    )
    logs = import_into((incremental, full), [leads])
    assert_path(logs[0], FULL)
    assert "belongs to a stored person" in logs[0]
    assert_same_tables(incremental, full)


def test_changed_config_falls_back_once(
    twins: tuple[Path, Path, Path], facts: dict[str, Any]
) -> None:
    incremental, full, files = twins
    for root in (incremental, full):
        config = root / "abmkpi.toml"
        text = config.read_text(encoding="utf-8")
        assert "fuzzy_threshold = 0.0" in text
        config.write_text(
            text.replace("fuzzy_threshold = 0.0", "fuzzy_threshold = 85.0"),
            encoding="utf-8",
        )
    # Company names without their third character match only by similarity.
    misspelled = [name[:2] + name[3:] for name in facts["names"]]
    first = write_csv(
        files / "activities-1.csv",
        ACTIVITY_HEADER,
        [activity(f"s{i}", company=name) for i, name in enumerate(misspelled[:4])],
    )
    logs = import_into((incremental, full), [first])
    assert_path(logs[0], FULL)

    second = write_csv(
        files / "activities-2.csv",
        ACTIVITY_HEADER,
        [activity(f"t{i}", company=name) for i, name in enumerate(misspelled[4:])],
    )
    logs = import_into((incremental, full), [second])
    assert_path(logs[0], INCREMENTAL)
    assert (
        count_rows(
            incremental,
            "SELECT count(*) FROM activities WHERE id LIKE 'nightly:t%' "
            "AND match_method = 'fuzzy_name'",
        )
        >= 1
    )
    assert_same_tables(incremental, full)


def test_marketo_sample_exports(
    twins: tuple[Path, Path, Path], shared_data: Path
) -> None:
    """Marketo's activity log tables, then its leads, from the sample export."""
    incremental, full, _ = twins
    folder = shared_data / "fivetran-marketo"
    activity_files = [
        folder / f"marketo_activity_{name}_data.csv"
        for name in (
            "click_email",
            "open_email",
            "send_email",
            "email_delivered",
            "email_bounced",
            "unsubscribe_email",
        )
    ]
    for root in (incremental, full):
        result = run_cli("-w", root, "-v", "import", "marketo", *activity_files)
        if root == incremental:
            assert_path(result.stderr, INCREMENTAL)
    leads = folder / "marketo_lead_data.csv"
    for root in (incremental, full):
        result = run_cli("-w", root, "-v", "import", "marketo", leads)
        if root == incremental:
            assert_path(result.stderr, INCREMENTAL)
    assert_same_tables(incremental, full)
