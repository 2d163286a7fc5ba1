"""Human-readable output of one account's detail."""

from __future__ import annotations

from rich.text import Text

from abmkpi.cli import console
from abmkpi.cli.common import print_table
from abmkpi.cli.labels import Labels
from abmkpi.metrics.accounts import AccountDetail
from abmkpi.workspace import Workspace


def print_account(workspace: Workspace, detail: AccountDetail) -> None:
    """Print an account's header, score explanation, people, deals and timeline."""
    t = Labels.of(workspace)
    _print_header(detail, t)
    _print_score(detail, t)
    _print_people(detail, t)
    _print_opportunities(detail, t)
    _print_timeline(detail, t)


def _print_header(detail: AccountDetail, t: Labels) -> None:
    account = detail.account
    if account["is_target"]:
        target = t("target account, tier %(tier)s", tier=account["tier"])
    else:
        target = t("not a target account")
    console.print(
        Text(account["name"] or "", style="bold"), f"({account['id']}), {target}"
    )
    if detail.note:
        console.print(t("note: %(note)s", note=detail.note.render(t.language)))
    console.print(
        t(
            "industry %(industry)s, employees %(employees)s, owner %(owner)s, "
            "domains %(domains)s",
            industry=account["industry"] or "–",
            employees=account["employees"] or "–",
            owner=account["owner"] or "–",
            domains=account["domains"] or "–",
        ),
        highlight=False,
        markup=False,
    )


def _print_score(detail: AccountDetail, t: Labels) -> None:
    score = format(detail.score, ".1f")
    console.print(t("Engagement score: %(score)s", score=score))
    print_table(
        t("Why this score: top contributing activities"),
        [t.zoned("When"), t("Type"), t("Asset"), t("Points"), t("Contribution now")],
        (
            [
                t.instant(row["occurred_at"]),
                t.term("activity_type", row["type"]),
                row["asset"] or "",
                f"{row['points']:.1f}",
                f"{row['contribution']:.2f}",
            ]
            for row in detail.top_activities
        ),
        right=(3, 4),
    )
    history = detail.score_history[-13:]
    weeks = "  ".join(
        f"{point['as_of']:%m-%d} {point['score']:.0f}" for point in history
    )
    console.print(t("Score by week: %(weeks)s", weeks=weeks))


def _print_people(detail: AccountDetail, t: Labels) -> None:
    print_table(
        t("People"),
        [
            t("Name"),
            t("Title"),
            t("Persona"),
            t("Kind"),
            t("Matched by"),
            t("Activities"),
        ],
        (
            [
                p["name"],
                p["title"],
                t.term("persona", p["persona"]),
                t.term("person_kind", p["kind"]),
                t.term("match_method", p["match_method"]),
                p["activities"],
            ]
            for p in detail.people
        ),
        right=(5,),
    )


def _print_opportunities(detail: AccountDetail, t: Labels) -> None:
    print_table(
        t("Opportunities"),
        [
            t("Name"),
            t("Type"),
            t("Stage"),
            t("Amount"),
            t("Created"),
            t("Close date"),
            t("Shared deal"),
            t("Stage history"),
        ],
        (
            [
                deal["name"],
                t.term("opportunity_type", deal["type"]),
                deal["stage"],
                t.money(deal["amount_reporting"]),
                t.date(deal["created_on"]),
                t.date(deal["close_date"]),
                t("yes") if deal["shared"] else "",
                " → ".join(
                    h["stage"] or t("(no stage)")
                    for h in detail.stage_history.get(deal["id"], [])
                ),
            ]
            for deal in detail.opportunities
        ),
        right=(3,),
    )


def _print_timeline(detail: AccountDetail, t: Labels) -> None:
    print_table(
        t("Activity timeline (latest 20)"),
        [t.zoned("When"), t("Type"), t("Asset"), t("Person"), t("Matched by")],
        (
            [
                t.instant(row["occurred_at"]),
                t.term("activity_type", row["type"]),
                row["asset"] or "",
                row["person"] or "",
                t.term("match_method", row["match_method"]),
            ]
            for row in detail.timeline[:20]
        ),
    )
