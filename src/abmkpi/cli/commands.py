"""Import every command module so each registers itself on the app."""

from abmkpi.cli import (  # noqa: F401
    bench,
    data,
    diagnose,
    handoff,
    journey,
    kpi_targets,
    packs,
    pdca,
    reports,
    serve,
    setup,
    tokens,
)
