"""Deterministic synthetic demo workspace; see :mod:`abmkpi.demo.generator`."""

from abmkpi.demo.generator import PRESETS, DemoSize, DemoSummary, generate

__all__ = ["PRESETS", "DemoSize", "DemoSummary", "generate"]
