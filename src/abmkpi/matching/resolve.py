"""Placeholder until the matching pipeline lands."""

from __future__ import annotations

from typing import Any

from abmkpi.config import Settings
from abmkpi.store.database import Store


def match_all(store: Store, settings: Settings) -> dict[str, Any]:
    return {}
