"""Human-readable output of one account's detail."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.text import Text

from abmkpi.cli import console
from abmkpi.cli.common import language, print_table
from abmkpi.formatting import format_value
from abmkpi.metrics.accounts import AccountDetail
from abmkpi.metrics.results import Unit
from abmkpi.workspace import Workspace


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return f"{instant.replace(tzinfo=UTC).astimezone(zone):%Y-%m-%d %H:%M}"


def print_account(workspace: Workspace, detail: AccountDetail) -> None:
    """Print an account's header, score explanation, people, deals and timeline."""
    zone_name = workspace.settings.workspace.time_zone
    zone = ZoneInfo(zone_name)
    when = f"when ({zone_name})"
    _print_header(detail)
    _print_score(detail, zone, when)
    _print_people(detail)
    _print_opportunities(workspace, detail)
    _print_timeline(detail, zone, when)


def _print_header(detail: AccountDetail) -> None:
    account = detail.account
    target = (
        f"target, tier {account['tier']}" if account["is_target"] else "not a target"
    )
    console.print(
        Text(account["name"] or "", style="bold"), f"({account['id']}), {target}"
    )
    if detail.note:
        console.print(f"note: {detail.note}")
    console.print(
        f"industry {account['industry'] or '–'}, "
        f"employees {account['employees'] or '–'}, "
        f"owner {account['owner'] or '–'}, domains {account['domains'] or '–'}",
        highlight=False,
        markup=False,
    )


def _print_score(detail: AccountDetail, zone: ZoneInfo, when: str) -> None:
    console.print(f"engagement score {detail.score:.1f}")
    print_table(
        "why: top contributing activities",
        [when, "type", "asset", "points", "now worth"],
        (
            [
                _local(row["occurred_at"], zone),
                row["type"],
                row["asset"] or "",
                f"{row['points']:.1f}",
                f"{row['contribution']:.2f}",
            ]
            for row in detail.top_activities
        ),
        right=(3, 4),
    )
    history = detail.score_history[-13:]
    console.print(
        "score by week: "
        + "  ".join(f"{point['as_of']:%m-%d} {point['score']:.0f}" for point in history)
    )


def _print_people(detail: AccountDetail) -> None:
    print_table(
        "people",
        ["name", "title", "persona", "kind", "matched by", "activities"],
        (
            [
                p["name"],
                p["title"],
                p["persona"],
                p["kind"],
                p["match_method"],
                p["activities"],
            ]
            for p in detail.people
        ),
        right=(5,),
    )


def _print_opportunities(workspace: Workspace, detail: AccountDetail) -> None:
    lang = language(workspace)
    currency = workspace.settings.workspace.reporting_currency
    print_table(
        "opportunities",
        [
            "name",
            "type",
            "stage",
            "amount",
            "created",
            "close",
            "shared",
            "stage history",
        ],
        (
            [
                deal["name"],
                deal["type"],
                deal["stage"],
                format_value(deal["amount_reporting"], Unit.CURRENCY, currency, lang),
                deal["created_on"],
                deal["close_date"],
                "yes" if deal["shared"] else "",
                " → ".join(
                    h["stage"] or "(no stage)"
                    for h in detail.stage_history.get(deal["id"], [])
                ),
            ]
            for deal in detail.opportunities
        ),
        right=(3,),
    )


def _print_timeline(detail: AccountDetail, zone: ZoneInfo, when: str) -> None:
    print_table(
        "timeline (latest 20)",
        [when, "type", "asset", "person", "matched by"],
        (
            [
                _local(row["occurred_at"], zone),
                row["type"],
                row["asset"] or "",
                row["person"] or "",
                row["match_method"] or "",
            ]
            for row in detail.timeline[:20]
        ),
    )
