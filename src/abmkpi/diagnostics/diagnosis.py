"""Part 1, diagnosis: are the KPIs used, measured on one target list, and
computed from complete records?

The MA↔SFA linkage items (match rates, deals on targets, freshness) are in
:mod:`abmkpi.diagnostics.linkage`.
"""

from __future__ import annotations

from typing import Any

from abmkpi.diagnostics.context import LIVE_OPPORTUNITY, DiagnosticContext
from abmkpi.diagnostics.items import (
    N_,
    CheckItem,
    CheckStatus,
    Part,
    message,
    worst,
)
from abmkpi.usage import UsageKind

TARGET_ACCOUNTS_SQL = (
    "SELECT a.id FROM accounts a WHERE a.is_target AND NOT a.is_deleted "
    "AND a.merged_into_id IS NULL"
)

# The tables each department's KPIs read.
DEPARTMENT_TABLES = {
    "marketing": ("activities",),
    "sales": ("opportunities",),
    "customer_success": ("contracts", "nps_responses"),
}

# Source system and account of each live record of those tables. An
# opportunity counts for every account it is linked to.
RECORDS_SQL = {
    "activities": "SELECT source_system, account_id FROM activities "
    "WHERE NOT is_deleted",
    "opportunities": "SELECT o.source_system, l.account_id FROM opportunities o "
    "JOIN opportunity_accounts l ON l.opportunity_id = o.id "
    f"WHERE {LIVE_OPPORTUNITY}",
    "contracts": "SELECT source_system, account_id FROM contracts WHERE NOT is_deleted",
    "nps_responses": "SELECT source_system, account_id FROM nps_responses",
}


def check_kpis_used(ctx: DiagnosticContext) -> CheckItem:
    days = ctx.settings.diagnose.review_days
    since = ctx.days_ago(days)
    runs, last_run = ctx.store.fetch_one(
        "SELECT count(*) FILTER (WHERE generated_at >= ?), max(generated_at) "
        "FROM report_runs",
        [since],
    ) or (0, None)
    views, last_view = ctx.store.fetch_one(
        "SELECT count(*) FILTER (WHERE occurred_at >= ?), max(occurred_at) "
        "FROM usage_events WHERE kind = ?",
        [since, str(UsageKind.PAGE_VIEWED)],
    ) or (0, None)

    evidence = {
        "review_days": days,
        "report_runs": int(runs),
        "last_report_run_at": last_run,
        "page_views": int(views),
        "last_page_view_at": last_view,
    }
    values = {"days": days, "runs": int(runs), "views": int(views)}

    if runs and views:
        status = CheckStatus.PASS
    elif runs or views:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.FAIL

    return CheckItem(
        "diagnosis.kpis_used",
        Part.DIAGNOSIS,
        N_("KPIs are used: reports generated and the dashboard viewed"),
        status,
        message(
            N_(
                "%(runs)s report runs and %(views)s dashboard page views in the "
                "last %(days)s days."
            ),
            **values,
        ),
        evidence,
        None
        if status is CheckStatus.PASS
        else message(
            N_(
                "Generate the review packs with 'abmkpi report weekly' (or let "
                "them run on their schedule) and review the KPIs on the dashboard "
                "('abmkpi serve'). The window is diagnose.review_days."
            )
        ),
    )


def check_shared_target_list(ctx: DiagnosticContext) -> CheckItem:
    title = N_("All departments measure the same target list")
    targets = len(ctx.targets)

    if targets == 0:
        return CheckItem(
            "diagnosis.shared_target_list",
            Part.DIAGNOSIS,
            title,
            CheckStatus.FAIL,
            message(N_("There is no target list, so no KPI is measured on one.")),
            {"target_accounts": 0},
            message(
                N_(
                    "Set the target accounts with 'abmkpi targets set FILE' or "
                    "'abmkpi targets icp'."
                )
            ),
        )
    rows = _records_by_source(ctx)
    departments = _department_coverage(rows, targets)
    apart = [row for row in rows if row["records"] and not row["on_targets"]]
    uncovered = [
        name
        for name, data in departments.items()
        if data["records"] and not data["target_accounts"]
    ]

    status = CheckStatus.WARN if apart or uncovered else CheckStatus.PASS

    evidence = {
        "target_accounts": targets,
        "departments": departments,
        "sources": rows,
        "sources_without_targets": [
            f"{row['source_system']} ({row['table']})" for row in apart
        ],
        "departments_without_targets": uncovered,
    }

    summary = message(
        N_(
            "%(targets)s target accounts; %(apart)s sources and %(departments)s "
            "departments have no record on any of them."
        ),
        targets=targets,
        apart=len(apart),
        departments=len(uncovered),
    )

    fix = message(
        N_(
            "Check that each listed source shares the CRM's account ids or "
            "domains ('abmkpi match --report'), and that the target list names "
            "the accounts every department works on ('abmkpi targets')."
        )
    )

    return CheckItem(
        "diagnosis.shared_target_list",
        Part.DIAGNOSIS,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def _records_by_source(ctx: DiagnosticContext) -> list[dict[str, Any]]:
    union = " UNION ALL ".join(
        f"SELECT '{table}' AS records, * FROM ({sql})"
        for table, sql in RECORDS_SQL.items()
    )
    rows = ctx.store.fetch_all(
        f"""
        SELECT r.records, r.source_system, count(*) AS records_count,
               count(*) FILTER (WHERE r.account_id IN ({TARGET_ACCOUNTS_SQL})),
               count(DISTINCT r.account_id)
                   FILTER (WHERE r.account_id IN ({TARGET_ACCOUNTS_SQL}))
        FROM ({union}) r
        GROUP BY ALL ORDER BY r.records, r.source_system
        """
    )
    return [
        {
            "table": table,
            "source_system": source,
            "records": int(count),
            "on_targets": int(on_targets),
            "target_accounts": int(accounts),
        }
        for table, source, count, on_targets, accounts in rows
    ]


def _department_coverage(
    rows: list[dict[str, Any]], targets: int
) -> dict[str, dict[str, Any]]:
    """Return per department its records and how many targets they reach.

    A department's coverage is the best of its tables, because one target
    account rarely has both a contract and an NPS response.
    """
    coverage = {}

    for department, tables in DEPARTMENT_TABLES.items():
        mine = [row for row in rows if row["table"] in tables]
        reached = max((row["target_accounts"] for row in mine), default=0)
        coverage[department] = {
            "tables": list(tables),
            "records": sum(row["records"] for row in mine),
            "target_accounts": reached,
            "target_share": reached / targets,
        }
    return coverage


def check_required_fields(ctx: DiagnosticContext) -> CheckItem:
    title = N_("Required fields present: amounts, close dates and stage history")
    total = ctx.count(f"SELECT count(*) FROM opportunities o WHERE {LIVE_OPPORTUNITY}")

    if total == 0:
        return CheckItem(
            "diagnosis.required_fields",
            Part.DIAGNOSIS,
            title,
            CheckStatus.NOT_APPLICABLE,
            message(N_("There are no opportunities yet, so no field can be missing.")),
            {"opportunities": 0},
            None,
        )
    minimum = ctx.settings.diagnose.min_field_coverage
    fields = {
        "amount": "o.amount IS NULL",
        "close_date": "o.close_date IS NULL",
        "stage_history": "NOT EXISTS (SELECT 1 FROM opportunity_stage_history h "
        "WHERE h.opportunity_id = o.id AND NOT h.is_deleted)",
    }
    evidence: dict[str, Any] = {"opportunities": total, "min_coverage": minimum}
    statuses = []

    for name, missing_sql in fields.items():
        missing = missing_records(ctx, missing_sql, total)
        evidence[name] = missing
        statuses.append(coverage_status(missing["coverage"], minimum))

    status = worst(*statuses)

    summary = message(
        N_(
            "Of %(total)s opportunities, %(amount)s lack an amount, %(close)s a "
            "close date and %(history)s any stage history."
        ),
        total=total,
        amount=evidence["amount"]["missing"],
        close=evidence["close_date"]["missing"],
        history=evidence["stage_history"]["missing"],
    )

    fix = message(
        N_(
            "Export the opportunities with Amount and CloseDate, and import the "
            "stage history (OpportunityHistory in Salesforce, deal stage history "
            "in HubSpot) with 'abmkpi import'. The threshold is "
            "diagnose.min_field_coverage."
        )
    )

    return CheckItem(
        "diagnosis.required_fields",
        Part.DIAGNOSIS,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def missing_records(
    ctx: DiagnosticContext, missing_sql: str, total: int
) -> dict[str, Any]:
    """Count the live opportunities matching ``missing_sql`` and list their ids."""
    rows = ctx.store.fetch_all(
        f"SELECT o.id, count(*) OVER () FROM opportunities o "
        f"WHERE {LIVE_OPPORTUNITY} AND {missing_sql} ORDER BY o.id LIMIT ?",
        [ctx.max_listed],
    )
    missing = int(rows[0][1]) if rows else 0
    return {
        "missing": missing,
        "coverage": 1 - missing / total,
        "ids": [row[0] for row in rows],
    }


def coverage_status(coverage: float, minimum: float) -> CheckStatus:
    """Pass at ``minimum`` or above, fail below half of it, else warn."""
    if coverage >= minimum:
        return CheckStatus.PASS

    if coverage >= minimum / 2:
        return CheckStatus.WARN
    return CheckStatus.FAIL
