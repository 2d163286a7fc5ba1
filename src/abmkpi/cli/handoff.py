"""The handoff commands: list, run and acknowledge MQA handoffs."""

from __future__ import annotations

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
from abmkpi.cli.labels import Labels
from abmkpi.vocabulary import N_

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
            [{**row, "deliveries": _deliveries_csv(row["deliveries"])} for row in rows],
        )
        return
    _print_handoffs(Labels.of(workspace), status, rows)


def _print_handoffs(
    t: Labels, status: StatusFilter, rows: list[dict[str, Any]]
) -> None:
    print_table(
        t(
            "%(count)s handoffs (%(status)s)",
            count=len(rows),
            status=t.term("handoff_status", status.value),
        ),
        [
            t("ID"),
            t("Account"),
            t("Status"),
            t.zoned("Crossed at"),
            t("Score"),
            t("Owner"),
            t.zoned("SLA due"),
            t("Notifications"),
        ],
        (
            [
                row["id"],
                row["account_name"] or row["account_id"],
                t.term("handoff_status", row["status"]),
                t.instant(row["crossed_at"]),
                f"{row['score']:.1f}",
                row["owner_id"],
                t("no SLA") if row["backfilled"] else t.instant(row["sla_due_at"]),
                _notifications_text(t, row),
            ]
            for row in rows
        ),
        right=[0, 4],
    )


def _notifications_text(t: Labels, row: dict[str, Any]) -> str:
    if row["backfilled"]:
        return t("none: backfilled, counted in one summary")
    return _deliveries_text(t, row["deliveries"])


def _deliveries_text(t: Labels, deliveries: list[dict[str, Any]]) -> str:
    """Return 'Webhook: Delivered, E-mail: Pending (2 attempts, next 10:05)'."""
    parts = []
    for delivery in deliveries:
        text = (
            f"{t.term('channel', delivery['channel'])}: "
            f"{t.term('delivery_status', delivery['status'])}"
        )
        if delivery["subject_kind"] != "handoff":
            text = t("SLA breach %(delivery)s", delivery=text)
        if delivery["status"] != "delivered" and delivery["attempts"]:
            text += " (" + t("%(count)s attempts", count=delivery["attempts"])
            if delivery["next_attempt_at"] is not None:
                next_attempt = t.instant(delivery["next_attempt_at"])
                text += ", " + t("next %(time)s", time=next_attempt)
            text += ")"
        parts.append(text)
    return ", ".join(parts)


def _deliveries_csv(deliveries: list[dict[str, Any]]) -> str:
    """Return 'webhook delivered, email pending (2 attempts, next 10:05)' with
    English ids and UTC instants, as the CSV column has always read."""
    parts = []
    for delivery in deliveries:
        text = f"{delivery['channel']} {delivery['status']}"
        if delivery["subject_kind"] != "handoff":
            text = f"breach {text}"
        if delivery["status"] != "delivered" and delivery["attempts"]:
            text += f" ({delivery['attempts']} attempts"
            if delivery["next_attempt_at"] is not None:
                text += f", next {delivery['next_attempt_at']:%Y-%m-%d %H:%M}"
            text += ")"
        parts.append(text)
    return ", ".join(parts)


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
    console.print(Labels.of(workspace).handoff_run(run))


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
    from abmkpi.handoff.records import acknowledge_once

    workspace = load_workspace()
    with workspace.open_store() as store:
        try:
            handoff, already = acknowledge_once(store, handoff_id, by)
        except FieldError as error:
            raise bad_parameter(error, {"by": "--by"}) from error
    t = Labels.of(workspace)
    values = {
        "id": handoff.id,
        "account": handoff.account_name or handoff.account_id,
        "by": handoff.acknowledged_by,
        "time": f"{t.instant(handoff.acknowledged_at)} ({t.zone_name})",
    }
    if already and handoff.acknowledged_by:
        message = N_(
            "handoff %(id)s (%(account)s) was already acknowledged by %(by)s at "
            "%(time)s; nothing changed"
        )
    elif already:
        message = N_(
            "handoff %(id)s (%(account)s) was already acknowledged at %(time)s; "
            "nothing changed"
        )
    elif handoff.acknowledged_by:
        message = N_("handoff %(id)s (%(account)s) acknowledged by %(by)s at %(time)s")
    else:
        message = N_("handoff %(id)s (%(account)s) acknowledged at %(time)s")
    console.print(t(message, **values), highlight=False)
