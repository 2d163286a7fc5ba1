"""Commands for KPI targets per period: targets kpi set, list and clear.

They sit under ``abmkpi targets`` next to the target-account commands, with
their own ``kpi`` group so the two kinds of target are not confused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from abmkpi.cli import console
from abmkpi.cli.common import (
    OutputFormat,
    bad_parameter,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.cli.data import targets_app
from abmkpi.cli.labels import Labels
from abmkpi.vocabulary import N_

if TYPE_CHECKING:
    from abmkpi.periods import Period
    from abmkpi.store.database import Store
    from abmkpi.workspace import Workspace

kpi_targets_app = typer.Typer(
    help="KPI targets per period (not target accounts): set, list or clear the "
    "target of a KPI for one period, segment or account. Without one, a KPI "
    "uses its config default (kpi.targets)."
)
targets_app.add_typer(kpi_targets_app, name="kpi")

TARGET_SOURCES = {"stored": N_("stored"), "config": N_("config default")}

TARGET_COLUMNS = ["kpi", "period", "segment", "value", "source", "set_at"]


def _period_option(required: bool) -> Any:
    return typer.Option(
        ... if required else None,
        "--period",
        "-p",
        help="Period: FY2024, FY2024-Q1, 2024-05, 2024-W18, A..B or this-quarter."
        + (
            " It must start from 2000-01-01 to ten years from today."
            if required
            else ""
        ),
    )


def _segment_option() -> Any:
    return typer.Option(
        None,
        "--segment",
        "-s",
        help="Segment the target is for: target (default), all, non-target or "
        "tier:N (tiers start at 1). deal_size_uplift takes all or tier:N only.",
    )


def _account_option() -> Any:
    return typer.Option(
        None,
        "--account",
        help="An account id, source id or exact name: the target is that "
        "account's own (its PDCA plan) instead of a segment's.",
    )


@kpi_targets_app.command("set")
def kpi_target_set(
    kpi: str = typer.Argument(..., help="KPI id or id:variant, as in 'abmkpi kpi'."),
    value: float = typer.Argument(
        ..., help="Target value in the KPI's unit; rates as fractions (0.4 = 40%)."
    ),
    period: str = _period_option(required=True),
    segment: str | None = _segment_option(),
    account: str | None = _account_option(),
) -> None:
    """Set the target of a KPI for one period, replacing the config default."""
    from abmkpi.errors import FieldError
    from abmkpi.kpi_targets import check_kpi_key, check_value, set_kpi_target
    from abmkpi.periods import today_in

    workspace = load_workspace()
    key = check_kpi_key(kpi)
    check_value(key, value)
    chosen = _parse_period(workspace, period)
    with workspace.open_store() as store:
        segment_id = _segment_id(store, segment, account)
        try:
            target = set_kpi_target(
                store,
                key,
                chosen,
                value,
                segment_id,
                today=today_in(workspace.settings.workspace.time_zone),
            )
        except FieldError as error:
            options = {
                "period": "--period",
                "segment": "--account" if account else "--segment",
            }
            raise bad_parameter(error, options) from error
    t = Labels.of(workspace)
    message = t(
        "target of %(kpi)s for %(period)s (%(segment)s) set to %(value)s",
        kpi=t.kpi(target.kpi_key),
        period=workspace.calendar.label(chosen, t.language),
        segment=t.term("segment", target.segment),
        value=_target_value(target.kpi_key, target.value, t),
    )
    console.print(message)


@kpi_targets_app.command("list")
def kpi_target_list(
    period: str | None = _period_option(required=False),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """List the stored KPI targets and the config defaults they replace."""
    from abmkpi.kpi_targets import list_kpi_targets

    workspace = load_workspace()
    period_id = _parse_period(workspace, period).id if period else None
    with workspace.open_store(read_only=True) as store:
        stored = list_kpi_targets(store, period_id)
    rows = [
        {**target.to_dict(), "source": "stored"} for target in stored
    ] + _config_rows(workspace)
    if output == OutputFormat.JSON:
        print_json({"period": period_id, "targets": rows})
    elif output == OutputFormat.CSV:
        print_csv(TARGET_COLUMNS, rows)
    else:
        _print_targets(Labels.of(workspace), period_id, rows)


def _print_targets(
    t: Labels, period_id: str | None, rows: list[dict[str, Any]]
) -> None:
    if period_id:
        title = t("KPI targets of %(period)s", period=period_id)
    else:
        title = t("KPI targets")
    print_table(
        title,
        [
            "KPI",
            t("Period"),
            t("Segment"),
            t("Target"),
            t("Source"),
            t.zoned("Set at"),
        ],
        (
            [
                t.kpi(row["kpi"]),
                t("every period") if row["period"] == "*" else row["period"],
                t.term("segment", row["segment"]),
                _target_value(row["kpi"], row["value"], t),
                t(TARGET_SOURCES[row["source"]]),
                t.instant(row["set_at"]),
            ]
            for row in rows
        ),
        right=[3],
    )


def _target_value(key: str, value: float, t: Labels) -> str:
    """Return a target in its KPI's unit: 40.0%, ￥5,000,000 or 12.0日."""
    from abmkpi.metrics.registry import DEFINITIONS

    definition = DEFINITIONS.get(key.partition(":")[0])
    return t.value(value, definition.unit) if definition else f"{value:g}"


@kpi_targets_app.command("clear")
def kpi_target_clear(
    kpi: str | None = typer.Argument(None, help="Only this KPI id or id:variant."),
    period: str | None = _period_option(required=False),
    segment: str | None = _segment_option(),
    account: str | None = _account_option(),
    everything: bool = typer.Option(
        False, "--all", help="Clear every stored KPI target of every period."
    ),
) -> None:
    """Clear stored KPI targets, so the config defaults apply again."""
    from abmkpi.errors import AbmkpiError, UserMessage
    from abmkpi.kpi_targets import check_kpi_key, clear_kpi_targets

    if not everything and kpi is None and period is None and not (segment or account):
        raise AbmkpiError(
            UserMessage(
                "give a KPI, --period, --segment or --account to clear, or --all "
                "to clear every stored KPI target"
            )
        )
    workspace = load_workspace()
    key = check_kpi_key(kpi) if kpi else None
    period_id = _parse_period(workspace, period).id if period else None
    with workspace.open_store() as store:
        segment_id = (
            _segment_id(store, segment, account) if segment or account else None
        )
        count = clear_kpi_targets(store, key, period_id, segment_id)
    t = Labels.of(workspace)
    console.print(t("cleared %(count)s stored KPI targets", count=count))


def _parse_period(workspace: Workspace, text: str) -> Period:
    """Parse --period with the workspace's calendar; errors name the value."""
    from abmkpi.errors import PeriodError, UserMessage

    try:
        return workspace.calendar.parse(text)
    except PeriodError as error:
        if repr(text.strip()) in str(error):
            raise
        raise PeriodError(
            UserMessage(
                "invalid --period %(text)r: %(reason)s",
                text=text,
                reason=error.message,
            )
        ) from error


def _segment_id(store: Store, segment: str | None, account: str | None) -> str:
    """Return the segment a target is stored under: a segment or account:ID."""
    from abmkpi.cli import say
    from abmkpi.errors import AbmkpiError, UserMessage
    from abmkpi.kpi_targets import check_segment

    if account is None:
        return check_segment(segment or "target")
    if segment is not None:
        raise AbmkpiError(UserMessage("give --segment or --account, not both"))
    from abmkpi.metrics.accounts import find_account, live_account_of

    account_id, note = live_account_of(store, find_account(store, account))
    if note:
        console.print(say(UserMessage("note: %(note)s", note=note)))
    return f"account:{account_id}"


def _config_rows(workspace: Workspace) -> list[dict[str, Any]]:
    """Return the config's targets, which apply to every period ('*')."""
    from abmkpi.metrics.registry import DEFINITIONS

    targets = workspace.settings.kpi.targets
    comparison = {
        kpi_id
        for kpi_id, definition in DEFINITIONS.items()
        if definition.target_scope == "comparison"
    }
    return [
        {
            "kpi": key,
            "period": "*",
            "segment": "all" if key.partition(":")[0] in comparison else "target",
            "value": value,
            "source": "config",
            "set_at": None,
        }
        for key, value in sorted(targets.items())
    ]
