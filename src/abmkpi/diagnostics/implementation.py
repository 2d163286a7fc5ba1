"""Part 3, implementation: scoring, stage tracking, handoff, the dashboard and
the pipeline contribution are wired up and produce numbers."""

from __future__ import annotations

from typing import Any

from abmkpi.config import EngagementSettings
from abmkpi.diagnostics.context import LIVE_OPPORTUNITY, DiagnosticContext
from abmkpi.diagnostics.diagnosis import coverage_status, missing_records
from abmkpi.diagnostics.items import N_, CheckItem, CheckStatus, Part, message
from abmkpi.usage import UsageKind


def check_engagement_scoring(ctx: DiagnosticContext) -> CheckItem:
    """Judge scoring by its output: matched activities of a type with a
    positive weight give target accounts a score. Weights left at their
    defaults are reported, not judged."""
    title = N_("Engagement scoring configured")
    engagement = ctx.settings.engagement
    defaults = EngagementSettings().weights
    changed = sorted(
        str(kind)
        for kind, weight in engagement.weights.items()
        if defaults.get(kind) != weight
    )
    scoring_types = sorted(str(k) for k, w in engagement.weights.items() if w > 0)
    scored_accounts, scored_targets = ctx.store.fetch_one(
        """
        SELECT count(DISTINCT t.account_id),
               count(DISTINCT t.account_id) FILTER (WHERE a.is_target)
        FROM activities t JOIN accounts a ON a.id = t.account_id
        WHERE NOT t.is_deleted AND list_contains(?, t.type)
        """,
        [scoring_types],
    ) or (0, 0)
    score = ctx.kpis.find("engagement_score", "target").value

    evidence = {
        "weights_changed": changed,
        "half_life_days": engagement.half_life_days,
        "mqa_threshold": engagement.mqa_threshold,
        "accounts_with_scoring_activities": int(scored_accounts),
        "target_accounts_with_scoring_activities": int(scored_targets),
        "target_mean_score": score,
    }

    if not scored_accounts:
        status = CheckStatus.FAIL
    elif not scored_targets or not score:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.PASS

    summary = message(
        N_(
            "%(accounts)s accounts (%(targets)s targets) have scoring activities; "
            "%(changed)s activity weights differ from the defaults."
        ),
        accounts=int(scored_accounts),
        targets=int(scored_targets),
        changed=len(changed),
    )

    fix = message(
        N_(
            "Import matched MA activities and give their types a weight in "
            "engagement.weights; check a target's score with 'abmkpi account ID'."
        )
    )

    return _item(
        "implementation.engagement_scoring", title, status, summary, evidence, fix
    )


def check_stage_history(ctx: DiagnosticContext) -> CheckItem:
    title = N_("Opportunity tracking with stage history")
    total = ctx.count(f"SELECT count(*) FROM opportunities o WHERE {LIVE_OPPORTUNITY}")
    rows = ctx.count(
        "SELECT count(*) FROM opportunity_stage_history WHERE NOT is_deleted"
    )
    stages = ctx.count(
        "SELECT count(DISTINCT stage) FROM opportunity_stage_history "
        "WHERE NOT is_deleted"
    )

    if not total:
        status = CheckStatus.FAIL
        summary = message(N_("No opportunities are tracked."))
        evidence: dict[str, Any] = {"opportunities": 0, "history_rows": rows}
    else:
        missing = missing_records(
            ctx,
            "NOT EXISTS (SELECT 1 FROM opportunity_stage_history h "
            "WHERE h.opportunity_id = o.id AND NOT h.is_deleted)",
            total,
        )
        minimum = ctx.settings.diagnose.min_field_coverage
        status = (
            CheckStatus.FAIL
            if not rows
            else coverage_status(missing["coverage"], minimum)
        )
        evidence = {
            "opportunities": total,
            "history_rows": rows,
            "stages": stages,
            "min_coverage": minimum,
            "without_history": missing,
        }
        summary = message(
            N_(
                "%(rows)s stage changes over %(stages)s stages; %(missing)s of "
                "%(total)s opportunities have none."
            ),
            rows=rows,
            stages=stages,
            missing=missing["missing"],
            total=total,
        )

    fix = message(
        N_(
            "Import the stage history with the opportunities (Salesforce "
            "OpportunityHistory, HubSpot deal stage history) so dwell times and "
            "stage conversion are computed."
        )
    )

    return _item("implementation.stage_history", title, status, summary, evidence, fix)


def check_handoff(ctx: DiagnosticContext) -> CheckItem:
    title = N_("MA→SFA handoff configured")
    handoff, notify = ctx.settings.handoff, ctx.settings.notify
    channels = []

    if notify.webhook.url:
        channels.append("webhook")

    if notify.email.smtp_host:
        channels.append("email")

    if notify.csv_queue:
        channels.append("csv_queue")
    handoffs, last_handoff = ctx.store.fetch_one(
        "SELECT count(*), max(created_at) FROM handoffs"
    ) or (0, None)

    evidence = {
        "enabled": handoff.enabled,
        "channels": channels,
        "mqa_threshold": ctx.settings.engagement.mqa_threshold,
        "sla_hours": handoff.sla_hours,
        "handoffs": int(handoffs),
        "last_handoff_at": last_handoff,
        "email_without_recipients": bool(
            notify.email.smtp_host and not notify.email.recipients
        ),
    }

    if not handoff.enabled or not channels:
        status = CheckStatus.FAIL
    elif evidence["email_without_recipients"]:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.PASS

    summary = message(
        N_("Handoff is on; notification channels: %(channels)s.")
        if handoff.enabled
        else N_("Handoff is off; notification channels: %(channels)s."),
        channels=", ".join(channels) or "-",
    )

    fix = message(
        N_(
            "Set handoff.enabled = true and at least one channel: "
            "notify.webhook.url, notify.email.smtp_host with "
            "notify.email.recipients, or notify.csv_queue."
        )
    )

    return _item("implementation.handoff", title, status, summary, evidence, fix)


def check_dashboard(ctx: DiagnosticContext) -> CheckItem:
    """Judge the dashboard by its page views; it cannot be probed from here,
    because the server keeps the workspace store open while it runs."""
    title = N_("Dashboard reachable")
    days = ctx.settings.diagnose.review_days
    views, last_view, paths = ctx.store.fetch_one(
        "SELECT count(*) FILTER (WHERE occurred_at >= ?), max(occurred_at), "
        "count(DISTINCT json_extract_string(detail, '$.path')) "
        "FROM usage_events WHERE kind = ?",
        [ctx.days_ago(days), str(UsageKind.PAGE_VIEWED)],
    ) or (0, None, 0)

    evidence = {
        "review_days": days,
        "page_views": int(views),
        "pages_viewed_ever": int(paths),
        "last_page_view_at": last_view,
        "require_login": ctx.settings.web.require_login,
    }

    status = CheckStatus.PASS if views else CheckStatus.WARN

    summary = message(
        N_("%(views)s page views in the last %(days)s days; last view: %(last)s."),
        views=int(views),
        days=days,
        last=ctx.local_time(last_view) if last_view else "-",
    )

    fix = message(
        N_(
            "Start the dashboard with 'abmkpi serve' (add --host and viewer "
            "tokens from 'abmkpi token create' to share it) and open it."
        )
    )

    return _item("implementation.dashboard", title, status, summary, evidence, fix)


def check_pipeline_contribution(ctx: DiagnosticContext) -> CheckItem:
    title = N_("Pipeline contribution computed automatically")
    influenced = ctx.kpis.find("marketing_influenced_pipeline", "all")
    created = ctx.kpis.find("pipeline_created", "all")

    evidence = {
        "period": ctx.kpi_period.id,
        "marketing_influenced_pipeline": influenced.value,
        "pipeline_created": created.value,
        "influence_window_days": ctx.settings.engagement.influence_window_days,
        "currency": ctx.settings.workspace.reporting_currency,
    }

    # Without pipeline created there is nothing to attribute to marketing.
    if influenced.value is None or not created.value:
        status = CheckStatus.FAIL
    elif influenced.value <= 0:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.PASS
    share = (
        influenced.value / created.value
        if influenced.value is not None and created.value
        else None
    )
    evidence["influenced_share"] = share

    summary = message(
        N_(
            "Marketing-influenced pipeline over %(period)s: %(influenced)s of "
            "%(created)s created (%(currency)s)."
        ),
        period=ctx.kpi_period.id,
        influenced=_amount(influenced.value),
        created=_amount(created.value),
        currency=ctx.settings.workspace.reporting_currency,
    )

    fix = message(
        N_(
            "Import opportunities with amounts and creation dates, and MA "
            "activities matched to their accounts; the window is "
            "engagement.influence_window_days."
        )
    )

    return _item(
        "implementation.pipeline_contribution", title, status, summary, evidence, fix
    )


def _amount(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


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
        Part.IMPLEMENTATION,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )
