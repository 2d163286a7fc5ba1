"""Running the whole KPI-setup checklist over a workspace store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from abmkpi.config import Settings
from abmkpi.diagnostics import diagnosis, implementation, linkage, operation, setting
from abmkpi.diagnostics.context import DiagnosticContext
from abmkpi.diagnostics.items import CheckItem, DiagnosticsReport
from abmkpi.store.database import Store
from abmkpi.usage import utc_now

logger = logging.getLogger(__name__)

Check = Callable[[DiagnosticContext], CheckItem]

# The checklist, in the order it is shown: diagnosis, setting,
# implementation, operation.
CHECKS: tuple[Check, ...] = (
    diagnosis.check_kpis_used,
    diagnosis.check_shared_target_list,
    linkage.check_match_rate,
    linkage.check_target_opportunities,
    linkage.check_data_freshness,
    diagnosis.check_required_fields,
    setting.check_kgi,
    setting.check_kpi_targets,
    setting.check_icp,
    setting.check_target_count,
    setting.check_department_targets,
    implementation.check_engagement_scoring,
    implementation.check_stage_history,
    implementation.check_handoff,
    implementation.check_dashboard,
    implementation.check_pipeline_contribution,
    operation.check_reviews,
    operation.check_pdca_actions,
    operation.check_low_performers,
    operation.check_patterns_reused,
)


def run_diagnostics(
    store: Store, settings: Settings, now: datetime | None = None
) -> DiagnosticsReport:
    """Evaluate every checklist item as of ``now`` (naive UTC, default now)."""
    started = time.perf_counter()
    ctx = DiagnosticContext(store, settings, now or utc_now())
    report = DiagnosticsReport(ctx.now, [check(ctx) for check in CHECKS])
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
