"""Part 2, setting: KGI, KPI targets, ICP, the size of the target list, and
targets for each department's KPIs."""

from __future__ import annotations

from collections import Counter
from typing import Any

from abmkpi.diagnostics.context import DiagnosticContext
from abmkpi.diagnostics.diagnosis import DEPARTMENT_TABLES
from abmkpi.diagnostics.items import N_, CheckItem, CheckStatus, Part, message
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.metrics.results import Unit


def check_kgi(ctx: DiagnosticContext) -> CheckItem:
    """Judge the KGI: ``diagnose.kgi_kpi`` names a KPI with a target.

    Without that setting a target on any currency KPI (pipeline, deal size)
    is a KGI in all but name, which is a warning.
    """
    title = N_("KGI defined")
    kgi = ctx.settings.diagnose.kgi_kpi
    revenue = [
        key
        for key in ctx.kpi_targets
        if key.partition(":")[0] in DEFINITIONS
        and DEFINITIONS[key.partition(":")[0]].unit is Unit.CURRENCY
    ]
    evidence: dict[str, Any] = {
        "kgi_kpi": kgi,
        "kgi_has_target": kgi is not None and ctx.has_target(kgi),
        "revenue_kpis_with_targets": revenue,
    }

    if kgi is not None and evidence["kgi_has_target"]:
        status = CheckStatus.PASS
        summary = message(N_("The KGI is %(kpi)s, with a target."), kpi=kgi)
    elif kgi is not None:
        status = CheckStatus.WARN
        summary = message(N_("The KGI is %(kpi)s, but it has no target."), kpi=kgi)
    elif revenue:
        status = CheckStatus.WARN
        summary = message(
            N_("No KGI is named, but %(kpis)s have revenue targets."),
            kpis=", ".join(revenue),
        )
    else:
        status = CheckStatus.FAIL
        summary = message(N_("No KGI is named and no revenue KPI has a target."))

    fix = message(
        N_(
            "Name the KPI that measures the final goal in diagnose.kgi_kpi (for "
            "example pipeline_created) and give it a target in kpi.targets."
        )
    )

    return CheckItem(
        "setting.kgi",
        Part.SETTING,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def check_kpi_targets(ctx: DiagnosticContext) -> CheckItem:
    title = N_("KPIs have targets")
    key_kpis = ctx.settings.diagnose.key_kpis
    key_missing = [key for key in key_kpis if not ctx.has_target(key)]
    all_missing = [kpi_id for kpi_id in DEFINITIONS if not ctx.has_target(kpi_id)]

    if not ctx.kpi_targets:
        status = CheckStatus.FAIL
    elif key_missing:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.PASS

    evidence = {
        "targets": ctx.kpi_targets,
        "key_kpis": key_kpis,
        "key_kpis_without_target": key_missing,
        "kpis_without_target": all_missing,
    }

    summary = message(
        N_("%(missing)s of %(total)s key KPIs have no target: %(kpis)s."),
        missing=len(key_missing),
        total=len(key_kpis),
        kpis=", ".join(key_missing) or "-",
    )

    fix = message(
        N_(
            "Add a target per KPI in kpi.targets (rates as fractions, 0.6 = 60%%), "
            "or per period; the KPIs checked are diagnose.key_kpis."
        )
    )

    return CheckItem(
        "setting.kpi_targets",
        Part.SETTING,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def check_icp(ctx: DiagnosticContext) -> CheckItem:
    title = N_("ICP defined")
    rules = ctx.settings.icp.rules
    grades = dict(
        ctx.store.fetch_all(
            "SELECT coalesce(fit_grade, '-'), count(*) FROM accounts a "
            "WHERE NOT a.is_deleted AND a.merged_into_id IS NULL GROUP BY ALL"
        )
    )
    fitting = ctx.count(
        "SELECT count(*) FROM accounts a WHERE NOT a.is_deleted "
        "AND a.merged_into_id IS NULL AND a.fit_score > 0"
    )

    evidence = {
        "rules": len(rules),
        "fields": sorted({rule.field for rule in rules}),
        "accounts_by_grade": {k: int(v) for k, v in sorted(grades.items())},
        "accounts_with_fit": fitting,
    }

    if not rules:
        status = CheckStatus.FAIL
        summary = message(N_("The config has no ICP rules."))
    elif not fitting:
        status = CheckStatus.WARN
        summary = message(
            N_("%(rules)s ICP rules, but no account meets any of them."),
            rules=len(rules),
        )
    else:
        status = CheckStatus.PASS
        summary = message(
            N_("%(rules)s ICP rules; %(fitting)s accounts meet at least one."),
            rules=len(rules),
            fitting=fitting,
        )

    fix = message(
        N_(
            "Write the ICP as [[icp.rules]] in the config (industry, employees, "
            "annual revenue, region) and run 'abmkpi match' to score the accounts."
        )
    )

    return CheckItem(
        "setting.icp",
        Part.SETTING,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def check_target_count(ctx: DiagnosticContext) -> CheckItem:
    title = N_("10–20 target accounts to start")
    low = ctx.settings.diagnose.min_target_accounts
    high = ctx.settings.diagnose.max_target_accounts
    count = len(ctx.targets)
    tiers = Counter(str(target.tier) for target in ctx.targets)

    if count == 0:
        status = CheckStatus.FAIL
    elif low <= count <= high:
        status = CheckStatus.PASS
    else:
        status = CheckStatus.WARN

    evidence = {
        "target_accounts": count,
        "min": low,
        "max": high,
        "by_tier": dict(sorted(tiers.items())),
    }

    summary = message(
        N_("%(count)s target accounts; a program starts with %(low)s to %(high)s."),
        count=count,
        low=low,
        high=high,
    )

    fix = message(
        N_(
            "Choose %(low)s to %(high)s accounts and set them with 'abmkpi targets "
            "set FILE' (or 'abmkpi targets icp' with a stricter "
            "targets.icp_min_fit_score); the range is diagnose.min_target_accounts "
            "and diagnose.max_target_accounts."
        ),
        low=low,
        high=high,
    )

    return CheckItem(
        "setting.target_count",
        Part.SETTING,
        title,
        status,
        summary,
        evidence,
        None if status is CheckStatus.PASS else fix,
    )


def check_department_targets(ctx: DiagnosticContext) -> CheckItem:
    """Judge targets per department and on the shared key KPIs.

    A department counts when the catalogue has KPIs for it and, for customer
    success, when contracts or NPS responses exist.
    """
    title = N_("Department KPIs and shared KPIs set")
    departments: dict[str, Any] = {}

    for department in DEPARTMENT_TABLES:
        kpis = [d.id for d in DEFINITIONS.values() if d.department == department]
        reason = None
        if not kpis:
            reason = "no_kpis_computed"
        elif not _has_records(ctx, department):
            reason = "no_records"
        departments[department] = {
            "kpis": len(kpis),
            "kpis_with_target": [k for k in kpis if ctx.has_target(k)],
            "applies": reason is None,
            "not_applicable_reason": reason,
        }
    lacking = [
        name
        for name, data in departments.items()
        if data["applies"] and not data["kpis_with_target"]
    ]
    shared = [key for key in ctx.settings.diagnose.key_kpis if ctx.has_target(key)]
    applicable = [name for name, data in departments.items() if data["applies"]]

    if not applicable:
        status = CheckStatus.NOT_APPLICABLE
    elif len(lacking) == len(applicable):
        status = CheckStatus.FAIL
    elif lacking or not shared:
        status = CheckStatus.WARN
    else:
        status = CheckStatus.PASS

    summary = message(
        N_(
            "Departments without a KPI target: %(lacking)s; shared KPIs with a "
            "target: %(shared)s."
        ),
        lacking=", ".join(lacking) or "-",
        shared=", ".join(shared) or "-",
    )

    fix = message(
        N_(
            "Give each department at least one KPI target in kpi.targets (for "
            "example contact_rate, win_rate and, with contracts, the customer-"
            "success KPIs), and targets on the shared diagnose.key_kpis."
        )
    )

    return CheckItem(
        "setting.department_targets",
        Part.SETTING,
        title,
        status,
        summary,
        {"departments": departments, "shared_kpis_with_target": shared},
        None if status in (CheckStatus.PASS, CheckStatus.NOT_APPLICABLE) else fix,
    )


def _has_records(ctx: DiagnosticContext, department: str) -> bool:
    if department != "customer_success":
        return True
    return bool(
        ctx.count("SELECT count(*) FROM contracts WHERE NOT is_deleted")
        + ctx.count("SELECT count(*) FROM nps_responses")
    )
