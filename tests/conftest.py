"""Shared fixtures: workspaces on real DuckDB files and the shared sample data."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from abmkpi.config_template import default_config_text
from abmkpi.workspace import Workspace

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    """Return the folder with the public sample exports and fault cases."""
    return Path(os.environ.get("ABMKPI_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_root() / "data"
    if not path.is_dir():
        pytest.skip(f"sample data not found at {path}; set ABMKPI_SHARED")
    return path


@pytest.fixture(scope="session")
def cases() -> Path:
    path = shared_root() / "cases"
    if not path.is_dir():
        pytest.skip(f"fault cases not found at {path}; set ABMKPI_SHARED")
    return path


def _merge(document: Any, overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if (
            isinstance(value, dict)
            and key in document
            and isinstance(document[key], dict)
        ):
            _merge(document[key], value)
        else:
            document[key] = value


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Workspace]:
    """Create a workspace in a temporary directory, with config overrides."""
    counter = iter(range(1000))

    def make(**overrides: Any) -> Workspace:
        document = tomlkit.parse(default_config_text())
        _merge(document, overrides)
        root = tmp_path / f"workspace-{next(counter)}"
        return Workspace.init(root, tomlkit.dumps(document))

    return make


@pytest.fixture
def workspace(make_workspace: Callable[..., Workspace]) -> Workspace:
    """A workspace with the default config (Asia/Tokyo, April fiscal years, JPY)."""
    return make_workspace()
