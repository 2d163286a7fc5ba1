"""Config values that used to validate and then break a command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from abmkpi.config import settings_from_dict
from abmkpi.errors import ConfigError
from abmkpi.kpi_ids import FIXED_VARIANTS, KPI_IDS
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.targets import set_from_icp
from abmkpi.workspace import Workspace
from tests.hardening_support import BASE, import_files


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(raw)
    return str(caught.value)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (
            {"kpi": {"targets": {"contact_rate": float("nan")}}},
            "kpi.targets.contact_rate: Input should be a finite number (value nan)",
        ),
        (
            {"engagement": {"mqa_threshold": float("inf")}},
            "engagement.mqa_threshold: Input should be a finite number (value inf)",
        ),
        (
            {"engagement": {"weights": {"web_visit": float("nan")}}},
            "engagement.weights.web_visit: Input should be a finite number",
        ),
        (
            {"kpi": {"seed": -1}},
            "kpi.seed: Input should be greater than or equal to 0 (value -1)",
        ),
    ],
)
def test_non_finite_and_negative_rejected(raw: dict[str, Any], line: str) -> None:
    assert line in _error(raw)


def test_persona_pattern_must_compile() -> None:
    raw = {
        "personas": {
            "rules": [
                {"persona": "decision_maker", "title_patterns": ["ceo", "chief("]}
            ]
        }
    }
    message = _error(raw)
    assert "personas.rules.0.title_patterns: pattern 1 ('chief(')" in message
    assert "missing ), unterminated subpattern at position 5" in message


def test_unknown_kpi_target_lists_known() -> None:
    message = _error({"kpi": {"targets": {"contact_rat": 0.6}}})
    assert "kpi.targets: 'contact_rat': unknown KPI 'contact_rat'" in message
    assert "known: engagement_score, contact_rate," in message


def test_unknown_variant_lists_known() -> None:
    message = _error({"kpi": {"targets": {"opportunity_rate:per_lead": 0.1}}})
    assert "unknown variant 'per_lead' of opportunity_rate" in message
    assert "opportunity_rate:per_new_lead" in message


def test_stage_variant_targets_accepted() -> None:
    targets = {"stage_conversion:Engaging → won": 0.5, "win_rate": 0.3}
    settings = settings_from_dict({"kpi": {"targets": targets}})
    assert settings.kpi.targets == targets


def test_kpi_ids_match_registry() -> None:
    assert list(KPI_IDS) == list(DEFINITIONS)
    assert set(FIXED_VARIANTS) <= set(DEFINITIONS)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"field": "employees", "op": ">=", "value": "abc"},
            "icp.rules.0: value 'abc' for employees must be a number",
        ),
        (
            {"field": "employees", "op": "==", "value": [1, 2]},
            "icp.rules.0: op '==' takes one value, not a list",
        ),
        (
            {"field": "industry", "op": ">=", "value": "x"},
            "icp.rules.0: op '>=' compares numbers, and industry is text",
        ),
        (
            {"field": "country", "op": "in", "value": "Japan"},
            "icp.rules.0: op 'in' needs a list of values",
        ),
        (
            {"field": "employees", "op": "contains", "value": 5},
            "icp.rules.0: op 'contains' needs a text field",
        ),
        (
            {"field": "industry", "op": "==", "value": True},
            "icp.rules.0: value True for industry must be text",
        ),
    ],
)
def test_icp_value_fits_field(rule: dict[str, Any], message: str) -> None:
    assert message in _error({"icp": {"rules": [rule]}})


def test_icp_numeric_in_list_matches(make_workspace: Callable[..., Workspace]) -> None:
    rules = [{"field": "employees", "op": "in", "value": [50, 10000], "points": 100}]
    workspace = make_workspace(icp={"rules": rules})
    import_files(workspace, BASE)
    with workspace.open_store() as store:
        report = set_from_icp(store, workspace.settings)
    assert sorted(target["id"] for target in report.targets) == ["t:A2", "t:A3"]
