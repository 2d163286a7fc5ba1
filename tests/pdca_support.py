"""Small inline workspaces for the PDCA tests, written straight into the store.

Rows carry source columns only; ``derive.refresh`` then links activities and
deals to accounts and resolves the target list, as after an import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from abmkpi import derive, targets
from abmkpi.store.database import Store
from abmkpi.workspace import Workspace

SOURCE = "csv"


def key(name: str) -> str:
    return f"{SOURCE}:{name}"


@dataclass
class Rows:
    """Accounts, activities, deals and stage changes of one small workspace."""

    accounts: list[tuple[str, str, int | None]] = field(default_factory=list)
    activities: list[tuple[str, str, datetime, str | None, str | None]] = field(
        default_factory=list
    )
    deals: list[tuple[str, str, datetime, str, bool, bool]] = field(
        default_factory=list
    )
    stages: list[tuple[str, str, datetime, bool, bool]] = field(default_factory=list)

    def account(self, name: str, tier: int | None = 1) -> None:
        """Add an account; a tier makes it a target."""
        self.accounts.append((name, name.replace("-", " ").title(), tier))

    def activity(
        self,
        account: str,
        kind: str,
        at: datetime,
        campaign: str | None = None,
        asset: str | None = None,
    ) -> None:
        self.activities.append((account, kind, at, campaign, asset))

    def deal(
        self,
        name: str,
        account: str,
        created: datetime,
        stage: str = "Proposal",
        closed: bool = False,
        won: bool = False,
    ) -> None:
        self.deals.append((name, account, created, stage, closed, won))

    def stage(
        self,
        deal: str,
        stage: str,
        at: datetime,
        closed: bool = False,
        won: bool = False,
    ) -> None:
        self.stages.append((deal, stage, at, closed, won))


def write_rows(store: Store, rows: Rows, first_activity: int = 1) -> None:
    """Insert the rows' source columns (without deriving anything)."""
    store.execute_many(
        "INSERT INTO accounts (id, source_system, source_id, name) VALUES (?, ?, ?, ?)",
        [(key(name), SOURCE, name, label) for name, label, _ in rows.accounts],
    )
    store.execute_many(
        "INSERT INTO activities (id, source_system, source_id, occurred_at, type, "
        "source_account_id, campaign_id, asset) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (key(f"a{n}"), SOURCE, f"a{n}", at, kind, key(account), campaign, asset)
            for n, (account, kind, at, campaign, asset) in enumerate(
                rows.activities, start=first_activity
            )
        ],
    )
    store.execute_many(
        "INSERT INTO opportunities (id, source_system, source_id, source_account_id, "
        "name, raw_type, created_at, stage, is_closed, is_won, amount, currency, "
        "close_date) VALUES (?, ?, ?, ?, ?, 'New Business', ?, ?, ?, ?, 1000000, "
        "'JPY', ?)",
        [
            (
                key(name),
                SOURCE,
                name,
                key(account),
                name,
                at,
                stage,
                closed,
                won,
                at.date(),
            )
            for name, account, at, stage, closed, won in rows.deals
        ],
    )
    store.execute_many(
        "INSERT INTO opportunity_stage_history (id, source_system, source_id, "
        "opportunity_id, stage, changed_at, is_closed, is_won) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                key(f"h-{deal}-{n}"),
                SOURCE,
                f"h-{deal}-{n}",
                key(deal),
                stage,
                at,
                closed,
                won,
            )
            for n, (deal, stage, at, closed, won) in enumerate(rows.stages)
        ],
    )


def build(workspace: Workspace, rows: Rows) -> Workspace:
    """Write the rows, set the tiers as the target list, and derive."""
    entries = [
        targets.TargetEntry(key(name), "id", tier)
        for name, _, tier in rows.accounts
        if tier is not None
    ]
    with workspace.open_store() as store:
        write_rows(store, rows)
        targets.set_list(store, workspace.settings, entries)
        derive.refresh(store, workspace.settings)
    return workspace


def add_later(workspace: Workspace, rows: Rows, first_activity: int) -> None:
    """Add more rows to a built workspace and derive again."""
    with workspace.open_store() as store:
        write_rows(store, rows, first_activity)
        derive.refresh(store, workspace.settings)


def by_rule(entries: list[Any]) -> dict[tuple[str, str], Any]:
    """Index low-performer entries by (account name, rule)."""
    return {
        (entry.account_id.split(":", 1)[1], str(entry.rule)): entry for entry in entries
    }
