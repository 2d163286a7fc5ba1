"""Running the whole KPI-setup checklist over a workspace store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from datetime import datetime

from abmkpi.config import Settings
from abmkpi.diagnostics import diagnosis, implementation, linkage, operation, setting
from abmkpi.diagnostics.context import DiagnosticContext
from abmkpi.diagnostics.items import CheckItem, DiagnosticsReport
from abmkpi.errors import NotFoundError
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)

Check = Callable[[DiagnosticContext], CheckItem]

# The checklist by item id, in the order it is shown: diagnosis, setting,
# implementation, operation.
CHECKS: dict[str, Check] = {
    "diagnosis.kpis_used": diagnosis.check_kpis_used,
    "diagnosis.shared_target_list": diagnosis.check_shared_target_list,
    "diagnosis.match_rate": linkage.check_match_rate,
    "diagnosis.target_opportunities": linkage.check_target_opportunities,
    "diagnosis.data_freshness": linkage.check_data_freshness,
    "diagnosis.required_fields": diagnosis.check_required_fields,
    "setting.kgi": setting.check_kgi,
    "setting.kpi_targets": setting.check_kpi_targets,
    "setting.icp": setting.check_icp,
    "setting.target_count": setting.check_target_count,
    "setting.department_targets": setting.check_department_targets,
    "implementation.engagement_scoring": implementation.check_engagement_scoring,
    "implementation.stage_history": implementation.check_stage_history,
    "implementation.handoff": implementation.check_handoff,
    "implementation.dashboard": implementation.check_dashboard,
    "implementation.pipeline_contribution": implementation.check_pipeline_contribution,
    "operation.reviews": operation.check_reviews,
    "operation.pdca_actions": operation.check_pdca_actions,
    "operation.low_performers": operation.check_low_performers,
    "operation.handoff_sla": operation.check_handoff_sla,
    "operation.patterns_reused": operation.check_patterns_reused,
}


def run_diagnostics(
    store: Store,
    settings: Settings,
    now: datetime | None = None,
    item_ids: Collection[str] | None = None,
) -> DiagnosticsReport:
    """Evaluate the checklist items (default: all) as of ``now`` (naive UTC,
    default now)."""
    unknown = sorted(set(item_ids or ()) - set(CHECKS))
    if unknown:
        raise NotFoundError(
            f"unknown checklist item {unknown[0]!r}; known: {', '.join(CHECKS)}"
        )
    started = time.perf_counter()
    ctx = DiagnosticContext(store, settings, now or utc_now())
    checks = [
        check
        for item_id, check in CHECKS.items()
        if not item_ids or item_id in item_ids
    ]
    report = DiagnosticsReport(ctx.now, [check(ctx) for check in checks])
    counts = report.counts()
    logger.info(
        "diagnosed %d checklist items in %.2fs: %d pass, %d warn, %d fail, "
        "%d not applicable",
        len(report.items),
        time.perf_counter() - started,
        counts["pass"],
        counts["warn"],
        counts["fail"],
        counts["not_applicable"],
    )
    return report
