"""Import every command module so each registers itself on the app."""

from abmkpi.cli import data, packs, reports, serve, setup, tokens  # noqa: F401
