"""Config the demo workspace needs: ICP rules that fit its accounts.

The demo's targets are drawn from accounts these rules score well, so fit
scores, grades and the ICP diagnostics have something to show.
"""

from __future__ import annotations

import logging
from typing import Any

import tomlkit

from abmkpi.config import Settings
from abmkpi.demo.catalog import ICP_INDUSTRIES, INDUSTRIES
from abmkpi.workspace import Workspace

logger = logging.getLogger(__name__)

ICP_INDUSTRY_LABELS = [
    label
    for key in ICP_INDUSTRIES
    for label in (INDUSTRIES[key].label_ja, INDUSTRIES[key].label_en)
]

DEMO_ICP_RULES: list[dict[str, Any]] = [
    {"field": "employees", "op": ">=", "value": 1000, "points": 35},
    {"field": "annual_revenue", "op": ">=", "value": 10_000_000_000, "points": 25},
    {"field": "industry", "op": "in", "value": ICP_INDUSTRY_LABELS, "points": 25},
    {"field": "country", "op": "in", "value": ["Japan"], "points": 15},
]


def apply_demo_settings(workspace: Workspace) -> Settings:
    """Write the demo ICP rules into the config unless it already has rules."""
    if workspace.settings.icp.rules:
        logger.info(
            "keeping the %d ICP rules in the config", len(workspace.settings.icp.rules)
        )
        return workspace.settings
    document = tomlkit.parse(workspace.config_path.read_text(encoding="utf-8"))
    if "icp" not in document:
        document["icp"] = tomlkit.table()
    rules = tomlkit.array()
    rules.multiline(True)
    for rule in DEMO_ICP_RULES:
        item = tomlkit.inline_table()
        item.update(rule)
        rules.append(item)
    document["icp"]["rules"] = rules
    workspace.config_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    workspace.reload()
    logger.info(
        "wrote %d demo ICP rules to %s", len(DEMO_ICP_RULES), workspace.config_path
    )
    return workspace.settings
