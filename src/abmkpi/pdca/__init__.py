"""The PDCA loop over target accounts: plan, check, patterns to reuse, act.

- Plan: per-account KPI targets of a period (``kpi_targets`` rows with the
  segment ``account:ID``), shown next to each account's actuals.
- Check: :func:`abmkpi.pdca.checks.low_performers` lists target accounts
  that break a rule, with the numbers behind it and a suggested action.
- Patterns: :func:`abmkpi.pdca.patterns.patterns` compares accounts that
  reached a new-business opportunity with those that did not, per activity
  type, campaign and asset, with lift, counts and Fisher's exact test.
- Act: :mod:`abmkpi.pdca.actions` logs actions with owner and due date and
  measures their effect on the account's score and journey stage.
"""
