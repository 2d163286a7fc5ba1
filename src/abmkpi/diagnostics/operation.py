"""Part 4, operation: reviews happen on their cadence, PDCA actions are
logged and reviewed, low performers get actions, winning patterns are reused."""

from __future__ import annotations

from typing import Any

from abmkpi.diagnostics.action_coverage import Finding, covered_low_performers
from abmkpi.diagnostics.context import DiagnosticContext
from abmkpi.diagnostics.items import N_, CheckItem, CheckStatus, Part, message
from abmkpi.pdca.actions import ActionStatus
from abmkpi.pdca.rules import PATTERN_PREFIX, PATTERN_RULE
from abmkpi.periods import business_date
from abmkpi.usage import UsageKind

# Days within which each review cadence should have produced a report run.
REVIEW_CADENCE_DAYS = {"weekly": 7, "monthly": 31, "quarterly": 92}

# PDCA actions that reuse a winning pattern (横展開) have the rule 'pattern',
# or 'pattern:KIND:KEY' naming it (see abmkpi.pdca.rules).
PATTERN_WINDOW_DAYS = 92

# Handoffs whose crossing falls in this many days are judged on their SLA.
HANDOFF_WINDOW_DAYS = 90


def check_reviews(ctx: DiagnosticContext) -> CheckItem:
    title = N_("Weekly, monthly and quarterly reviews happening")
    cadences: dict[str, Any] = {}

    for cadence, days in REVIEW_CADENCE_DAYS.items():
        runs, last = ctx.store.fetch_one(
            "SELECT count(*) FILTER (WHERE generated_at >= ?), max(generated_at) "
            "FROM report_runs WHERE cadence = ?",
            [ctx.days_ago(days), cadence],
        ) or (0, None)
        cadences[cadence] = {
            "within_days": days,
            "runs": int(runs),
            "last_run_at": last,
            "age_days": ctx.age_days(last),
        }
    missing = [name for name, data in cadences.items() if not data["runs"]]

    if not missing:
        status = CheckStatus.PASS
    elif len(missing) < len(cadences):
        status = CheckStatus.WARN
    else:
        status = CheckStatus.FAIL

    summary = message(
        N_("Reviews without a recent report run: %(missing)s."),
        missing=", ".join(missing) or "-",
    )

    fix = message(
        N_(
            "Run 'abmkpi report weekly', 'abmkpi report monthly' and 'abmkpi "
            "report quarterly', or schedule them (reports.weekly, "
            "reports.monthly, reports.quarterly)."
        )
    )

    evidence = {"cadences": cadences, "missing": missing}

    return _item("operation.reviews", title, status, summary, evidence, fix)


def check_pdca_actions(ctx: DiagnosticContext) -> CheckItem:
    title = N_("PDCA actions recorded and reviewed")
    days = ctx.settings.diagnose.review_days
    since = ctx.days_ago(days)
    today = business_date(ctx.now, ctx.settings.workspace.time_zone)
    open_status = str(ActionStatus.OPEN)
    total, open_count, reviewed, last_reviewed = ctx.store.fetch_one(
        "SELECT count(*), count(*) FILTER (WHERE status = ?), "
        "count(*) FILTER (WHERE reviewed_at >= ?), max(reviewed_at) "
        "FROM pdca_actions",
        [open_status, since],
    ) or (0, 0, 0, None)
    review_events = ctx.count(
        "SELECT count(*) FROM usage_events WHERE kind = ? AND occurred_at >= ?",
        [str(UsageKind.PDCA_REVIEWED), since],
    )
    overdue = [
        row[0]
        for row in ctx.store.fetch_all(
            "SELECT id FROM pdca_actions WHERE status = ? AND due_date < ? "
            "ORDER BY due_date, id LIMIT ?",
            [open_status, today, ctx.max_listed],
        )
    ]

    evidence = {
        "review_days": days,
        "actions": int(total),
        "open": int(open_count),
        "reviewed_recently": int(reviewed),
        "review_events": review_events,
        "last_reviewed_at": last_reviewed,
        "overdue_ids": overdue,
    }

    if not total:
        status = CheckStatus.FAIL
    elif not (reviewed or review_events) or overdue:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.PASS

    summary = message(
        N_(
            "%(total)s actions (%(open)s open, %(overdue)s overdue); %(reviewed)s "
            "reviewed in the last %(days)s days."
        ),
        total=int(total),
        open=int(open_count),
        overdue=len(overdue),
        reviewed=int(reviewed),
        days=days,
    )

    fix = message(
        N_(
            "Log an action with an owner and a due date for each low performer "
            "('abmkpi pdca'), and review the open ones every week."
        )
    )

    return _item("operation.pdca_actions", title, status, summary, evidence, fix)


def check_low_performers(ctx: DiagnosticContext) -> CheckItem:
    title = N_("Low performers have actions")
    days = ctx.settings.pdca.no_engagement_days

    if not ctx.targets:
        return CheckItem(
            "operation.low_performers",
            Part.OPERATION,
            title,
            CheckStatus.NOT_APPLICABLE,
            message(N_("There are no target accounts to judge.")),
            {"action_days": days},
            None,
        )
    period, findings = covered_low_performers(ctx.store, ctx.settings, ctx.now)
    lacking = [finding for finding in findings if not finding.has_action]

    if not lacking:
        status = CheckStatus.PASS
    elif len(lacking) < len(findings):
        status = CheckStatus.WARN
    else:
        status = CheckStatus.FAIL

    evidence = {
        "period": period.id,
        "action_days": days,
        "low_performers": len(findings),
        "accounts": len({finding.entry.account_id for finding in findings}),
        "by_rule": _count_by_rule(findings),
        "without_action": len(lacking),
        "accounts_without_action": [
            _finding_evidence(finding) for finding in lacking[: ctx.max_listed]
        ],
    }

    summary = message(
        N_(
            "%(findings)s low-performer rule breaks on %(accounts)s target "
            "accounts in %(period)s; %(lacking)s of these breaks have no open "
            "action or one logged in the last %(days)s days."
        ),
        findings=len(findings),
        accounts=evidence["accounts"],
        period=period.id,
        lacking=len(lacking),
        days=days,
    )

    fix = message(
        N_(
            "Log a PDCA action for each listed account and rule ('abmkpi pdca "
            "check', then 'abmkpi pdca action add'); an action counts while "
            "open or for pdca.no_engagement_days after it is logged."
        )
    )

    return _item("operation.low_performers", title, status, summary, evidence, fix)


def _count_by_rule(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        rule = str(finding.entry.rule)
        counts[rule] = counts.get(rule, 0) + 1
    return counts


def _finding_evidence(finding: Finding) -> dict[str, Any]:
    entry = finding.entry
    return {
        "id": entry.account_id,
        "name": entry.account_name,
        "tier": entry.tier,
        "rule": str(entry.rule),
        "opportunity_id": entry.opportunity_id,
        "facts": entry.facts,
        "suggestion": entry.suggestion.code,
        "action_rule": entry.action_rule,
    }


def check_patterns_reused(ctx: DiagnosticContext) -> CheckItem:
    title = N_("Winning patterns reused")
    since = ctx.days_ago(PATTERN_WINDOW_DAYS)
    actions, recent, last = ctx.store.fetch_one(
        "SELECT count(*), count(*) FILTER (WHERE created_at >= ?), max(created_at) "
        "FROM pdca_actions WHERE rule = ? OR starts_with(rule, ?)",
        [since, PATTERN_RULE, PATTERN_PREFIX],
    ) or (0, 0, None)
    won = ctx.count(
        "SELECT count(*) FROM opportunities o WHERE o.is_won AND NOT o.is_deleted "
        "AND o.merged_into_id IS NULL"
    )

    evidence = {
        "window_days": PATTERN_WINDOW_DAYS,
        "pattern_actions": int(actions),
        "recent_pattern_actions": int(recent),
        "last_pattern_action_at": last,
        "won_opportunities": won,
    }

    if recent:
        status = CheckStatus.PASS
    elif not won and not actions:
        status = CheckStatus.NOT_APPLICABLE
    else:
        status = CheckStatus.WARN

    summary = (
        message(N_("No deal has been won yet, so there is no pattern to reuse."))
        if status is CheckStatus.NOT_APPLICABLE
        else message(
            N_("%(recent)s actions reuse a winning pattern in the last %(days)s days."),
            recent=int(recent),
            days=PATTERN_WINDOW_DAYS,
        )
    )

    fix = message(
        N_(
            "Review the patterns that preceded opportunities ('abmkpi pdca') and "
            "log actions that reuse them: 'Log as action' on a reuse suggestion, "
            "or the rule pattern:KIND:KEY."
        )
    )

    return _item("operation.patterns_reused", title, status, summary, evidence, fix)


def check_handoff_sla(ctx: DiagnosticContext) -> CheckItem:
    """Judge whether sales follows up handoffs within the SLA."""
    title = N_("Handoffs followed up within the SLA")
    days = HANDOFF_WINDOW_DAYS
    since = ctx.days_ago(days)
    # Backfilled handoffs have no SLA (sales got no notice of each), so they
    # count in neither the handoffs nor the breaches.
    total, breached, backfilled = ctx.store.fetch_one(
        "SELECT count(*) FILTER (WHERE NOT backfilled), "
        "count(*) FILTER (WHERE NOT backfilled AND breached_at IS NOT NULL "
        "AND first_sales_activity_at IS NULL), count(*) FILTER (WHERE backfilled) "
        "FROM handoffs WHERE crossed_at >= ?",
        [since],
    ) or (0, 0, 0)
    rows = ctx.store.fetch_all(
        "SELECT h.id, h.account_id, a.name, h.crossed_at, h.sla_due_at "
        "FROM handoffs h LEFT JOIN accounts a ON a.id = h.account_id "
        "WHERE h.crossed_at >= ? AND NOT h.backfilled AND h.breached_at IS NOT NULL "
        "AND h.first_sales_activity_at IS NULL ORDER BY h.sla_due_at LIMIT ?",
        [since, ctx.max_listed],
    )
    evidence = {
        "window_days": days,
        "handoffs": int(total),
        "breached": int(breached),
        "backfilled": int(backfilled),
        "sla_hours": ctx.settings.handoff.sla_hours,
        "breached_handoffs": [
            {
                "id": row[0],
                "account_id": row[1],
                "name": row[2],
                "crossed_at": row[3],
                "sla_due_at": row[4],
            }
            for row in rows
        ],
    }

    if not total:
        summary = message(
            N_("No account crossed the MQA threshold in %(days)s days."), days=days
        )
        if backfilled:
            summary = message(
                N_(
                    "The %(count)s handoffs of the last %(days)s days are all "
                    "backfilled (detected long after their crossing), so no SLA "
                    "applies to them."
                ),
                count=int(backfilled),
                days=days,
            )
        return CheckItem(
            "operation.handoff_sla",
            Part.OPERATION,
            title,
            CheckStatus.NOT_APPLICABLE,
            summary,
            evidence,
            None,
        )
    if not breached:
        status = CheckStatus.PASS
    elif breached * 2 < total:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.FAIL

    text = N_(
        "%(breached)s of %(total)s handoffs in the last %(days)s days had no "
        "sales activity within %(hours)s hours."
    )
    if backfilled:
        text = N_(
            "%(breached)s of %(total)s handoffs in the last %(days)s days had no "
            "sales activity within %(hours)s hours; %(backfilled)s backfilled "
            "handoffs have no SLA and are not counted."
        )
    summary = message(
        text,
        breached=int(breached),
        total=int(total),
        days=days,
        hours=f"{ctx.settings.handoff.sla_hours:g}",
        backfilled=int(backfilled),
    )

    fix = message(
        N_(
            "Follow up the listed accounts with a sales activity and acknowledge "
            "them ('abmkpi handoff list --status breached'); adjust "
            "handoff.sla_hours if the SLA does not match how sales works."
        )
    )

    return _item("operation.handoff_sla", title, status, summary, evidence, fix)


def _item(
    item_id: str,
    title: str,
    status: CheckStatus,
    summary: Any,
    evidence: dict[str, Any],
    fix: Any,
) -> CheckItem:
    return CheckItem(
        item_id,
        Part.OPERATION,
        title,
        status,
        summary,
        evidence,
        None if status in (CheckStatus.PASS, CheckStatus.NOT_APPLICABLE) else fix,
    )
