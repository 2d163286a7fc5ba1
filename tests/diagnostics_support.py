"""A small demo workspace, copied per test so each test can break it."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tomlkit

from abmkpi.demo import DemoSize, generate
from abmkpi.diagnostics import CheckItem, run_diagnostics
from abmkpi.usage import utc_now
from abmkpi.workspace import Workspace

SIZE = DemoSize(accounts=100, activities=3000, target_accounts=12)


def build_demo(directory: Path) -> Path:
    """Generate the demo, its data ending yesterday, so it counts as fresh."""
    root = directory / "demo"
    generate(Workspace.init(root), SIZE, seed=5)
    return root


def copy_demo(source: Path, directory: Path) -> Workspace:
    root = directory / "workspace"
    shutil.copytree(source, root)
    return Workspace.load(root)


def edit_config(workspace: Workspace, changes: dict[str, dict[str, Any]]) -> Workspace:
    """Set keys of config sections (dotted section names make nested tables)."""
    document = tomlkit.parse(workspace.config_path.read_text(encoding="utf-8"))
    for section, values in changes.items():
        table: Any = document
        for name in section.split("."):
            if name not in table:
                table[name] = tomlkit.table()
            table = table[name]
        for key, value in values.items():
            table[key] = value
    workspace.config_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return Workspace.load(workspace.root)


def check(workspace: Workspace, item_id: str) -> CheckItem:
    """Evaluate one checklist item on the workspace's store."""
    with workspace.open_store() as store:
        report = run_diagnostics(store, workspace.settings, item_ids=[item_id])
    return report.find(item_id)


def days_before_now(days: float) -> datetime:
    return utc_now() - timedelta(days=days)


def add_report_run(workspace: Workspace, cadence: str, days_ago: float) -> None:
    with workspace.open_store() as store:
        store.execute(
            "INSERT INTO report_runs VALUES (nextval('report_run_ids'), ?, "
            "'FY2026-Q3', 'ja', 'html', NULL, 'manual', ?)",
            [cadence, days_before_now(days_ago)],
        )
