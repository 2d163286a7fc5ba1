"""The handoff commands: list, run and acknowledge MQA handoffs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import typer

from abmkpi.cli import app, console
from abmkpi.cli.common import (
    OutputFormat,
    bad_parameter,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)

handoff_app = typer.Typer(
    help="MQA handoffs to sales: list them, run detection and notifications, "
    "acknowledge."
)
app.add_typer(handoff_app, name="handoff")


class StatusFilter(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    BREACHED = "breached"
    FOLLOWED_UP = "followed_up"
    BACKFILLED = "backfilled"
    ALL = "all"


HANDOFF_COLUMNS = [
    "id",
    "account_id",
    "account_name",
    "status",
    "crossed_at",
    "score",
    "owner_id",
    "created_at",
    "sla_due_at",
    "first_sales_activity_at",
    "acknowledged_at",
    "acknowledged_by",
    "backfilled",
    "deliveries",
]


@handoff_app.command("list")
def handoff_list(
    status: StatusFilter = typer.Option(
        StatusFilter.ALL,
        "--status",
        help="open, acknowledged, breached (SLA past due without a sales "
        "activity), followed_up, backfilled (detected more than "
        "handoff.backfill_days after the crossing: no notice, no SLA) or all.",
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """List handoffs, newest first, with SLA and notification states."""
    from abmkpi.handoff.records import delivery_states, list_handoffs
    from abmkpi.usage import utc_now

    workspace = load_workspace()
    now = utc_now()
    with workspace.open_store(read_only=True) as store:
        handoffs = list_handoffs(store, status.value, now)
        states = delivery_states(store, [handoff.id for handoff in handoffs])
    rows = [
        {**handoff.to_dict(now), "deliveries": states[handoff.id]}
        for handoff in handoffs
    ]
    if output == OutputFormat.JSON:
        print_json({"status": status.value, "handoffs": rows})
        return
    if output == OutputFormat.CSV:
        print_csv(
            HANDOFF_COLUMNS,
            [
                {**row, "deliveries": _deliveries_text(row["deliveries"])}
                for row in rows
            ],
        )
        return
    print_table(
        f"{len(rows)} handoffs ({status.value})",
        [
            "id",
            "account",
            "status",
            "crossed (UTC)",
            "score",
            "owner",
            "SLA due (UTC)",
            "notifications",
        ],
        (
            [
                row["id"],
                row["account_name"] or row["account_id"],
                row["status"],
                _instant(row["crossed_at"]),
                f"{row['score']:.1f}",
                row["owner_id"],
                "no SLA" if row["backfilled"] else _instant(row["sla_due_at"]),
                _notifications_text(row),
            ]
            for row in rows
        ),
        right=[0, 4],
    )


def _notifications_text(row: dict[str, Any]) -> str:
    if row["backfilled"]:
        return "none: backfilled, counted in one summary"
    return _deliveries_text(row["deliveries"])


def _deliveries_text(deliveries: list[dict[str, Any]]) -> str:
    """Return 'webhook delivered, email pending (2 attempts, next 10:05)'."""
    parts = []
    for delivery in deliveries:
        text = f"{delivery['channel']} {delivery['status']}"
        if delivery["subject_kind"] != "handoff":
            text = f"breach {text}"
        if delivery["status"] != "delivered" and delivery["attempts"]:
            text += f" ({delivery['attempts']} attempts"
            if delivery["next_attempt_at"] is not None:
                text += f", next {_instant(delivery['next_attempt_at'])}"
            text += ")"
        parts.append(text)
    return ", ".join(parts)


def _instant(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


@handoff_app.command("run")
def handoff_run(
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Detect new handoffs, check SLAs and send the notifications that are due."""
    from abmkpi.handoff.run import run_handoffs

    workspace = load_workspace()
    with workspace.open_store() as store:
        run = run_handoffs(store, workspace.settings, workspace.root)
    deliveries = run.deliveries
    document = {
        "created": run.created,
        "backfilled": run.backfilled,
        "followed_up": run.followed_up,
        "breached": run.breached,
        "delivered": deliveries.delivered if deliveries else 0,
        "retrying": deliveries.retrying if deliveries else 0,
        "failed": deliveries.failed if deliveries else 0,
    }
    if output == OutputFormat.JSON:
        print_json(document)
        return
    if output == OutputFormat.CSV:
        print_csv(list(document), [document])
        return
    console.print(run.describe())


@handoff_app.command("ack")
def handoff_ack(
    handoff_id: int = typer.Argument(
        ..., help="Id of the handoff, from 'abmkpi handoff list'."
    ),
    by: str | None = typer.Option(
        None,
        "--by",
        help="Who acknowledges it (name or e-mail address, at most 200 characters).",
    ),
) -> None:
    """Acknowledge a handoff: sales has seen it."""
    from abmkpi.errors import FieldError
    from abmkpi.handoff.records import acknowledge

    workspace = load_workspace()
    with workspace.open_store() as store:
        try:
            handoff = acknowledge(store, handoff_id, by)
        except FieldError as error:
            raise bad_parameter(error, {"by": "--by"}) from error
    who = f" by {handoff.acknowledged_by}" if handoff.acknowledged_by else ""
    console.print(
        f"handoff {handoff.id} ({handoff.account_name or handoff.account_id}) "
        f"acknowledged{who} at {_instant(handoff.acknowledged_at)} UTC"
    )
