"""The diagnostics report the page and the API show, cached for a minute.

The checklist reads usage (page views, report runs) as well as data, so the
cache key contains the minute besides the data version.
"""

from __future__ import annotations

from abmkpi.diagnostics import DiagnosticsReport, run_diagnostics
from abmkpi.usage import utc_now
from abmkpi.web.queries import cache_of
from abmkpi.web.state import WebState


def diagnostics_report(state: WebState) -> DiagnosticsReport:
    """Return the checklist as of the current minute."""
    now = utc_now().replace(second=0, microsecond=0)

    def compute() -> DiagnosticsReport:
        with state.reader() as store:
            return run_diagnostics(store, state.workspace.settings, now)

    return cache_of(state).get(("diagnostics", state.data_version, now), compute)
