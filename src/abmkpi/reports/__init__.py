"""Monitoring report packs: weekly, monthly and quarterly, in HTML, XLSX and PDF.

:func:`abmkpi.reports.pack.build_pack` computes a pack's numbers,
:func:`abmkpi.reports.runs.generate` writes its files and records the runs,
and :mod:`abmkpi.reports.schedule` computes when each cadence is due.
"""
