"""The pdca commands: low performers, patterns to reuse, plans and actions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import typer

from abmkpi.cli import app, console, say
from abmkpi.cli.common import (
    OutputFormat,
    bad_parameter,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.cli.labels import Labels
from abmkpi.cli.reports import _parse_now
from abmkpi.errors import UserMessage
from abmkpi.pdca.messages import rule_label

# The PDCA modules load Ibis, DuckDB and SciPy, so the commands import them
# when they run, and 'abmkpi --help' starts without them.
if TYPE_CHECKING:
    from abmkpi.pdca.actions import Action
    from abmkpi.periods import Period
    from abmkpi.workspace import Workspace

pdca_app = typer.Typer(
    help="The PDCA loop: low performers (check), patterns to reuse, per-account "
    "plans, and actions with owner, due date and effect.",
)
app.add_typer(pdca_app, name="pdca")
action_app = typer.Typer(help="Log, list and close PDCA actions.")
pdca_app.add_typer(action_app, name="action")

PERIOD_HELP = "FY2024, FY2024-Q1, 2024-05, 2024-W18, A..B."
AS_OF_HELP = "Check as if it were this UTC instant (ISO), for reproducible runs."
# The option of each field a PDCA action stores.
ACTION_OPTIONS = {
    "title": "--title",
    "owner": "--owner",
    "due_date": "--due",
    "rule": "--rule",
    "note": "--note",
}

LOW_PERFORMER_COLUMNS = [
    "account_id",
    "account_name",
    "tier",
    "owner",
    "rule",
    "opportunity_id",
    "score",
    "journey_stage",
    "reason_en",
    "reason_ja",
    "suggestion",
    "suggestion_en",
    "suggestion_ja",
]
PATTERN_COLUMNS = [
    "kind",
    "key",
    "label",
    "reached_with",
    "accounts_with",
    "reached_without",
    "accounts_without",
    "rate_with",
    "rate_without",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "p_adjusted",
    "significant",
    "weak",
    "candidate",
]
ACTION_COLUMNS = [
    "id",
    "account_id",
    "account_name",
    "title",
    "rule",
    "owner",
    "due_date",
    "status",
    "overdue",
    "created_at",
    "done_at",
    "reviewed_at",
    "note",
    "score_before",
    "stage_before",
    "score_now",
    "stage_now",
    "score_change",
    "stage_change",
]


@pdca_app.callback(invoke_without_command=True)
def pdca_main(context: typer.Context) -> None:
    """Without a subcommand, list the low performers of this quarter."""
    if context.invoked_subcommand is None:
        pdca_check(None, None, OutputFormat.TABLE)


@pdca_app.command("check")
def pdca_check(
    period: str | None = typer.Option(None, "--period", "-p", help=PERIOD_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """List target accounts that break a low-performer rule, with why and a
    suggested action (default period: this quarter)."""
    from abmkpi.pdca.checks import low_performers

    workspace = load_workspace()
    chosen = workspace.calendar.parse(period or "this-quarter")
    with workspace.open_store(read_only=True) as store:
        found = low_performers(store, workspace.settings, chosen, _parse_now(as_of))
    rows = [entry.to_dict() for entry in found]
    if output == OutputFormat.JSON:
        print_json({"period": chosen.id, "low_performers": rows})
        return
    if output == OutputFormat.CSV:
        print_csv(LOW_PERFORMER_COLUMNS, [_flat_low_performer(row) for row in rows])
        return
    t = Labels.of(workspace)
    print_table(
        t("Low performers, %(period)s", period=_period_label(workspace, chosen, t)),
        [t("Account"), t("Tier"), t("Rule"), t("Why"), t("Suggested action")],
        (
            [
                row["account_name"] or row["account_id"],
                row["tier"],
                t(rule_label(row["rule"])),
                row["reason"][t.language],
                row["suggestion"]["text"][t.language],
            ]
            for row in rows
        ),
        row_lines=True,
    )
    if not rows:
        console.print(t("No target account breaks a rule."), highlight=False)


def _period_label(workspace: Workspace, period: Period, t: Labels) -> str:
    return workspace.calendar.label(period, t.language)


def _flat_low_performer(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reason_en": row["reason"]["en"],
        "reason_ja": row["reason"]["ja"],
        "suggestion": row["suggestion"]["code"],
        "suggestion_en": row["suggestion"]["text"]["en"],
        "suggestion_ja": row["suggestion"]["text"]["ja"],
    }


@pdca_app.command("patterns")
def pdca_patterns(
    period: str | None = typer.Option(None, "--period", "-p", help=PERIOD_HELP),
    scope: str = typer.Option(
        "target",
        "--scope",
        help="Accounts compared: target (the target list) or all (every live "
        "account, for the statistical power a short target list lacks).",
    ),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Compare accounts that reached a new-business opportunity with those
    that did not, per activity type, campaign and asset."""
    from abmkpi.pdca.patterns import PatternScope, pattern_report

    if scope not in ("target", "all"):
        raise typer.BadParameter(
            f"{scope!r} is not a scope; use target or all", param_hint="--scope"
        )
    workspace = load_workspace()
    chosen = workspace.calendar.parse(period or "this-quarter")
    with workspace.open_store(read_only=True) as store:
        report = pattern_report(
            store, workspace.settings, chosen, _parse_now(as_of), PatternScope(scope)
        )
    document = report.to_dict()
    if output == OutputFormat.JSON:
        print_json(document)
        return
    if output == OutputFormat.CSV:
        print_csv(PATTERN_COLUMNS, document["patterns"])
        return
    t = Labels.of(workspace)
    title = t(
        "Patterns, %(period)s (%(scope)s: %(reached)s of %(accounts)s accounts "
        "reached an opportunity; window %(days)s days)",
        period=_period_label(workspace, chosen, t),
        scope=t.term("pattern_scope", scope),
        reached=report.reached,
        accounts=report.accounts,
        days=report.window_days,
    )
    print_table(
        title,
        [
            t("Kind"),
            t("Pattern"),
            t("Value for --rule"),
            t("Reached / with"),
            t("Reached / without"),
            t("Lift (95% CI)"),
            t("p (Holm)"),
        ],
        (_pattern_cells(row, t) for row in document["patterns"]),
        right=(3, 4, 5, 6),
    )


def _pattern_cells(row: dict[str, Any], t: Labels) -> list[Any]:
    from abmkpi.pdca.rules import pattern_rule

    lift = "∞" if row["lift"] is None else f"{row['lift']:.2f}"
    interval = ""
    if row["lift_low"] is not None:
        interval = f" ({row['lift_low']:.2f}–{row['lift_high']:.2f})"
    marker = " " + t("Weak evidence") if row["weak"] else ""
    label = row["label"]
    if row["kind"] == "activity_type":
        label = t.term("activity_type", row["key"])
    return [
        t.term("pattern_kind", row["kind"]),
        label,
        pattern_rule(row["kind"], row["key"]),
        f"{row['reached_with']}/{row['accounts_with']}",
        f"{row['reached_without']}/{row['accounts_without']}",
        lift + interval,
        f"{row['p_adjusted']:.2g}{marker}",
    ]


@pdca_app.command("plan")
def pdca_plan(
    period: str | None = typer.Option(None, "--period", "-p", help=PERIOD_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Show the per-account KPI targets of a period next to the actuals."""
    from abmkpi.pdca.plan import account_plans

    workspace = load_workspace()
    chosen = workspace.calendar.parse(period or "this-quarter")
    with workspace.open_store(read_only=True) as store:
        lines = account_plans(store, workspace.settings, chosen, _parse_now(as_of))
    rows = [line.to_dict() for line in lines]
    columns = ["account_id", "account_name", "kpi_key", "target", "actual", "unit"]
    if output == OutputFormat.JSON:
        print_json({"period": chosen.id, "plans": rows})
        return
    if output == OutputFormat.CSV:
        print_csv(columns, rows)
        return
    t = Labels.of(workspace)
    print_table(
        t("Account plans, %(period)s", period=_period_label(workspace, chosen, t)),
        [t("Account"), "KPI", t("Target"), t("Actual")],
        (
            [
                row["account_name"] or row["account_id"],
                t.kpi(row["kpi_key"]),
                _unit_figure(row["target"], row["unit"], t),
                _unit_figure(row["actual"], row["unit"], t),
            ]
            for row in rows
        ),
        right=(2, 3),
    )


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:,.4g}"


def _unit_figure(value: float | None, unit: str | None, t: Labels) -> str:
    """Return a value in its KPI's unit (40.0%, ￥5,000,000), or as a plain
    number when the KPI has no value to take the unit from."""
    if value is None:
        return ""
    return t.value(value, unit) if unit else _figure(value)


@action_app.command("add")
def action_add(
    account: str = typer.Argument(..., help="Account id, source id or exact name."),
    title: str = typer.Option(..., "--title", help="What will be done."),
    owner: str | None = typer.Option(None, "--owner", help="Who does it."),
    due: str | None = typer.Option(
        None,
        "--due",
        help="Due date, YYYY-MM-DD, from 2000-01-01 to ten years from today.",
    ),
    rule: str | None = typer.Option(
        None,
        "--rule",
        help="The low-performer rule the action addresses (no_engagement, "
        "engaged_without_opportunity, mqa_without_follow_up, stalled_deal), or "
        "'pattern' / pattern:KIND:KEY for an action that reuses a winning pattern "
        "(KIND activity_type, campaign or asset; KEY as the --rule column of "
        "'pdca patterns' shows it, or the pattern's name: a campaign name, an "
        "asset or an activity type label, compared ignoring case and width).",
    ),
) -> None:
    """Log an open action on an account, with its score and stage now."""
    from abmkpi.pdca.actions import add_action

    due_date = _parse_date(due)
    workspace = load_workspace()
    with workspace.open_store() as store:
        try:
            action = add_action(
                store, workspace.settings, account, title, owner, due_date, rule
            )
        except ValueError as error:
            raise bad_parameter(error, ACTION_OPTIONS) from error
    t = Labels.of(workspace)
    message = t(
        "added action %(id)s on %(account_id)s (%(account)s); score %(score)s, "
        "stage %(stage)s",
        id=action.id,
        account_id=action.account_id,
        account=action.account_name,
        score=_figure(action.score_before),
        stage=t.term("journey", action.stage_before),
    )
    console.print(message, highlight=False)


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        message = UserMessage("%(text)r is not a date; use YYYY-MM-DD", text=text)
        raise typer.BadParameter(say(message), param_hint="--due") from error


@action_app.command("list")
def action_list(
    status: str | None = typer.Option(
        None, "--status", help="Only actions with this status: open, done, cancelled."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """List actions with their effect: score and stage now against before,
    for done actions and open ones past due."""
    from abmkpi.pdca.actions import ActionStatus, list_actions

    if status is not None and status not in [item.value for item in ActionStatus]:
        raise typer.BadParameter(
            f"{status!r} is not a status; use open, done or cancelled",
            param_hint="--status",
        )
    workspace = load_workspace()
    with workspace.open_store(read_only=True) as store:
        actions = list_actions(
            store, workspace.settings, ActionStatus(status) if status else None
        )
    rows = [action.to_dict() for action in actions]
    if output == OutputFormat.JSON:
        print_json({"actions": rows})
        return
    if output == OutputFormat.CSV:
        print_csv(ACTION_COLUMNS, rows)
        return
    t = Labels.of(workspace)
    print_table(
        t("PDCA actions"),
        [
            t("ID"),
            t("Account"),
            t("Action"),
            t("Owner"),
            t("Due"),
            t("Status"),
            t("Score"),
            t("Journey stage"),
        ],
        (_action_cells(action, t) for action in actions),
        right=(0, 6),
    )


def _action_cells(action: Action, t: Labels) -> list[Any]:
    status = t.term("action_status", str(action.status))
    if action.overdue:
        status += " (" + t("Overdue") + ")"
    score = _figure(action.score_before)
    stage = t.term("journey", action.stage_before)
    if action.measured:
        score = f"{score} → {_figure(action.score_now)}"
        stage = f"{stage} → {t.term('journey', action.stage_now)}"
    return [
        action.id,
        action.account_name or action.account_id,
        action.title,
        action.owner or "",
        t.date(action.due_date),
        status,
        score,
        stage,
    ]


@action_app.command("done")
def action_done(
    action_id: int = typer.Argument(..., help="Id of the action, from 'action list'."),
    note: str | None = typer.Option(None, "--note", help="What was done, or learnt."),
) -> None:
    """Mark an open action done."""
    from abmkpi.pdca.actions import complete_action

    _close(action_id, note, complete_action)


@action_app.command("cancel")
def action_cancel(
    action_id: int = typer.Argument(..., help="Id of the action, from 'action list'."),
    note: str | None = typer.Option(None, "--note", help="Why it was cancelled."),
) -> None:
    """Mark an open action cancelled."""
    from abmkpi.pdca.actions import cancel_action

    _close(action_id, note, cancel_action)


def _close(action_id: int, note: str | None, close: Any) -> None:
    workspace = load_workspace()
    with workspace.open_store() as store:
        try:
            action = close(store, action_id, note)
        except ValueError as error:
            raise bad_parameter(error, ACTION_OPTIONS) from error
    t = Labels.of(workspace)
    message = t(
        "action %(id)s is %(status)s",
        id=action.id,
        status=t.term("action_status", str(action.status)),
    )
    console.print(message, highlight=False)


@pdca_app.command("review")
def pdca_review() -> None:
    """Mark every open action reviewed now, and record the review."""
    from abmkpi.pdca.actions import review_actions

    workspace = load_workspace()
    with workspace.open_store() as store:
        count = review_actions(store)
    t = Labels.of(workspace)
    console.print(t("reviewed %(count)s open actions", count=count), highlight=False)
