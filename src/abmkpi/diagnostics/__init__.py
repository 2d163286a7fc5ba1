"""Diagnostics: the KPI-setup checklist, evaluated from config, data and usage.

Four parts (diagnosis, setting, implementation, operation), each item pass,
warn, fail or not applicable, with its evidence and the fix.
"""

from abmkpi.diagnostics.items import CheckItem, CheckStatus, DiagnosticsReport, Part
from abmkpi.diagnostics.run import CHECKS, run_diagnostics

__all__ = [
    "CHECKS",
    "CheckItem",
    "CheckStatus",
    "DiagnosticsReport",
    "Part",
    "run_diagnostics",
]
