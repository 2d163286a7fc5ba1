"""Live ingest on a real demo workspace: storing, incremental matching and
the facts of a few accounts, each checked against a full recompute."""

from __future__ import annotations

import math
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from abmkpi import derive
from abmkpi.canonical import ActivityType, MatchMethod
from abmkpi.demo import DemoSize, generate
from abmkpi.ingest import LiveEvent, domain_key, email_key, ingest_events, person_id_for
from abmkpi.matching.freemail import resolve_free_mail
from abmkpi.metrics.compute import fetch_fact_rows
from abmkpi.metrics.context import BackendTables, KpiContext
from abmkpi.store.database import Store
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli

END = date(2025, 3, 31)
SIZE = DemoSize(accounts=200, activities=20_000, target_accounts=10)
WHEN = datetime(2025, 2, 3, 1, 30)

# Derived state that matching writes, with the columns that identify a row.
MATCHED_TABLES = {
    "people": "id",
    "activities": "id",
    "accounts": "id",
    "account_domains": "account_id, domain",
    "match_issues": "entity, record_id, kind",
    "nps_responses": "id",
    "opportunity_accounts": "opportunity_id, source_account_id",
    "opportunities": "id",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ingest-demo") / "ws"
    generate(Workspace.init(root), SIZE, seed=11, end_date=END)
    return root


@pytest.fixture
def workspace_copy(demo: Path, tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(demo, root)
    return Workspace.load(root)


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: store.fetch_all(f"SELECT * FROM {table} ORDER BY {key}")
        for table, key in MATCHED_TABLES.items()
    }


def ingest(workspace: Workspace, store: Store, events: list[LiveEvent]) -> Any:
    free_mail = resolve_free_mail(workspace.settings.matching, workspace.root)
    return ingest_events(store, workspace.settings, free_mail, events)


def contact_of(store: Store) -> tuple[str, str]:
    """Return the e-mail address and account of a matched contact."""
    row = store.fetch_one(
        """
        SELECT email, account_id FROM people
        WHERE kind = 'contact' AND email IS NOT NULL AND account_id IS NOT NULL
          AND id = identity_id
        ORDER BY id LIMIT 1
        """
    )
    assert row is not None
    return row[0], row[1]


def website_domain_of(store: Store, account_id: str) -> str:
    domain = store.scalar(
        "SELECT domain FROM account_domains "
        "WHERE account_id = ? AND origin = 'website'",
        [account_id],
    )
    assert domain is not None
    return str(domain)


def test_events_match_as_full_refresh(workspace_copy: Workspace) -> None:
    with workspace_copy.open_store() as store:
        address, contact_account = contact_of(store)
        domain = website_domain_of(store, "demo:acc3")
        name = store.scalar("SELECT name FROM accounts WHERE id = 'demo:acc4'")

        events = [
            LiveEvent("k1", WHEN, ActivityType.WEB_VISIT, email=address),
            LiveEvent(
                "k2",
                WHEN,
                ActivityType.FORM_FILL,
                email=f"new.buyer@{domain}",
                title="CEO",
            ),
            LiveEvent(
                "k3",
                WHEN,
                ActivityType.FORM_FILL,
                email="someone@gmail.com",
                company=name,
            ),
            LiveEvent(
                "k4", WHEN, ActivityType.CONTENT_DOWNLOAD, account_id="demo:acc5"
            ),
            LiveEvent(
                "k5", WHEN, ActivityType.CONTENT_DOWNLOAD, account_id="demo:none"
            ),
            LiveEvent("k6", WHEN, ActivityType.INTENT_SIGNAL, domain=domain),
            LiveEvent("k7", WHEN, ActivityType.INTENT_SIGNAL, domain="gmail.com"),
            LiveEvent("k8", WHEN, ActivityType.WEB_VISIT, email="x@unknown.example"),
        ]
        result = ingest(workspace_copy, store, events)

        matched = {
            row[0]: row[1:]
            for row in store.fetch_all(
                "SELECT source_id, account_id, match_method, match_note "
                "FROM activities WHERE source_system = 'live'"
            )
        }
        before = snapshot(store)
        derive.refresh(store, workspace_copy.settings, workspace_copy.root)
        after = snapshot(store)

    assert result.inserted == 8
    assert result.people_created == 3
    assert result.unmatched == 3

    assert matched["k1"][0] == contact_account
    assert matched["k2"] == ("demo:acc3", MatchMethod.EMAIL_DOMAIN, f"domain {domain}")
    assert matched["k3"][0] == "demo:acc4"
    assert matched["k3"][1] == MatchMethod.COMPANY_NAME
    assert matched["k4"] == ("demo:acc5", MatchMethod.SOURCE_LINK, "account demo:acc5")
    assert matched["k5"] == (None, MatchMethod.UNMATCHED, "no_email_or_company")
    assert matched["k6"] == ("demo:acc3", MatchMethod.EMAIL_DOMAIN, f"domain {domain}")
    assert matched["k7"] == (None, MatchMethod.UNMATCHED, "free_mail_domain")
    assert matched["k8"] == (None, MatchMethod.UNMATCHED, "domain_not_found")
    assert result.account_ids == {
        contact_account,
        "demo:acc3",
        "demo:acc4",
        "demo:acc5",
    }
    for table in MATCHED_TABLES:
        assert after[table] == before[table], f"full refresh changed {table}"


def test_replayed_batch_adds_nothing(workspace_copy: Workspace) -> None:
    events = [
        LiveEvent("r1", WHEN, ActivityType.WEB_VISIT, email="a.b@replay.example"),
        LiveEvent("r2", WHEN, ActivityType.WEB_VISIT, account_id="demo:acc9"),
        LiveEvent("r2", WHEN, ActivityType.WEB_VISIT, account_id="demo:acc9"),
    ]
    with workspace_copy.open_store() as store:
        first = ingest(workspace_copy, store, events)
        before = snapshot(store)
        second = ingest(workspace_copy, store, events)
        after = snapshot(store)
    assert (first.inserted, first.duplicates, first.people_created) == (2, 1, 1)
    assert (second.inserted, second.duplicates, second.people_created) == (0, 3, 0)
    assert second.account_ids == set()
    assert after == before


def test_new_person_gets_derived_columns(workspace_copy: Workspace) -> None:
    event = LiveEvent(
        "p1",
        WHEN,
        ActivityType.FORM_FILL,
        email="hanako@newco.example",
        person_name="山田 花子",
        title="代表取締役社長",
        company="NewCo",
    )
    with workspace_copy.open_store() as store:
        ingest(workspace_copy, store, [event])
        row = store.fetch_one(
            """
            SELECT id, kind, email_domain, identity_id, persona, created_at, name
            FROM people WHERE email = 'hanako@newco.example'
            """
        )
    person_id = person_id_for("live", "hanako@newco.example")
    assert row == (
        person_id,
        "lead",
        "newco.example",
        person_id,
        "decision_maker",
        WHEN,
        "山田 花子",
    )
    assert "hanako" not in person_id


def test_older_activity_rematched_for_new_person(workspace_copy: Workspace) -> None:
    with workspace_copy.open_store() as store:
        domain = website_domain_of(store, "demo:acc7")
        address = f"late.lead@{domain}"
        store.execute(
            "INSERT INTO activities (id, source_system, source_id, occurred_at, type, "
            "email) VALUES ('csv:old', 'csv', 'old', '2025-01-05', 'web_visit', ?)",
            [address.upper()],
        )
        store.execute(
            "INSERT INTO nps_responses (id, source_system, source_id, email, score, "
            "responded_at) VALUES ('csv:n1', 'csv', 'n1', ?, 10, '2025-01-06')",
            [address],
        )
        derive.refresh(store, workspace_copy.settings, workspace_copy.root)
        result = ingest(
            workspace_copy,
            store,
            [LiveEvent("o1", WHEN, ActivityType.WEB_VISIT, email=address)],
        )
        old = store.fetch_one(
            "SELECT identity_id, account_id FROM activities WHERE id = 'csv:old'"
        )
        before = snapshot(store)
        derive.refresh(store, workspace_copy.settings, workspace_copy.root)
        after = snapshot(store)
    assert result.rematched == 1
    assert old == (person_id_for("live", address), "demo:acc7")
    assert after == before


def test_cli_match_changes_nothing(workspace_copy: Workspace) -> None:
    with workspace_copy.open_store() as store:
        address, _ = contact_of(store)
        ingest(
            workspace_copy,
            store,
            [
                LiveEvent("c1", WHEN, ActivityType.EVENT_ATTENDED, email=address),
                LiveEvent("c2", WHEN, ActivityType.FORM_FILL, email="x@yahoo.co.jp"),
                LiveEvent("c3", WHEN, ActivityType.WEB_VISIT, domain="example.org"),
            ],
        )
        before = snapshot(store)
    run_cli("-w", workspace_copy.root, "match")
    with workspace_copy.open_store(read_only=True) as store:
        after = snapshot(store)
    for table in MATCHED_TABLES:
        assert after[table] == before[table], f"abmkpi match changed {table}"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (" Taro.Yamada@Example.CO.JP ", "taro.yamada@example.co.jp"),
        ("ｔａｒｏ@example.jp", "taro@example.jp"),
    ],
)
def test_email_key_normalizes(text: str, key: str) -> None:
    assert email_key(text) == key


@pytest.mark.parametrize("text", ["taro", "taro@", "@example.jp", "a@b", "a b@c.jp"])
def test_email_key_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        email_key(text)


def test_domain_key_takes_host() -> None:
    assert domain_key("https://www.Example.co.jp/about") == "example.co.jp"


def test_domain_key_rejects_word() -> None:
    with pytest.raises(ValueError, match="not a domain"):
        domain_key("localhost")


def close(first: Any, second: Any) -> bool:
    """Compare fact rows; floats to 1e-9 relative, since DuckDB's parallel
    sums may differ in the last bits between runs."""
    if isinstance(first, float) and isinstance(second, float):
        return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(first, dict) and isinstance(second, dict):
        return first.keys() == second.keys() and all(
            close(first[key], second[key]) for key in first
        )
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(
            close(a, b) for a, b in zip(first, second, strict=True)
        )
    return bool(first == second)


def test_account_filter_gives_rows_of_full_run(demo: Path) -> None:
    workspace = Workspace.load(demo)
    period = workspace.calendar.parse("FY2024-Q4")
    with workspace.open_store(read_only=True) as store:
        linked = store.fetch_all(
            "SELECT DISTINCT account_id FROM opportunity_accounts "
            "WHERE account_id IS NOT NULL ORDER BY 1 LIMIT 3"
        )
        chosen = {row[0] for row in linked} | {"demo:acc1", "demo:acc2"}
        tables = BackendTables(store.ibis())
        full = fetch_fact_rows(
            KpiContext.for_period(tables, workspace.settings, period), tables
        )
        part = fetch_fact_rows(
            KpiContext.for_period(
                tables, workspace.settings, period, account_ids=chosen
            ),
            tables,
        )
        deals = {
            row[0]
            for row in store.fetch_all(
                "SELECT opportunity_id FROM opportunity_accounts "
                "WHERE account_id IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(chosen)],
            )
        }
    expected_accounts = [r for r in full.accounts if r["account_id"] in chosen]
    expected_deals = [r for r in full.deals if r["opportunity_id"] in deals]
    assert len(part.accounts) == len(chosen)
    assert close(part.accounts, expected_accounts)
    assert len(part.deals) == len(deals) > 0
    assert close(part.deals, expected_deals)
