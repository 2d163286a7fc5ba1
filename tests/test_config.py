"""The workspace config: defaults, validation and the generated template."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from abmkpi.config import Settings, load_settings, settings_from_dict
from abmkpi.config_docs import reference_markdown
from abmkpi.config_template import default_config_text
from abmkpi.errors import ConfigError, WorkspaceError
from abmkpi.store.database import Store
from abmkpi.store.schema import MIGRATIONS, SCHEMA_VERSION
from abmkpi.workspace import Workspace


def test_defaults_match_spec() -> None:
    settings = Settings()
    assert settings.workspace.time_zone == "Asia/Tokyo"
    assert settings.fiscal.start_month == 4
    assert settings.engagement.half_life_days == 30
    assert settings.kpi.targets["contact_rate"] == 0.6
    assert settings.kpi.targets["opportunity_rate:per_engaged_account"] == 0.4
    assert settings.kpi.targets["deal_size_uplift"] == 1.6


def test_template_round_trips_to_defaults() -> None:
    assert settings_from_dict(tomllib.loads(default_config_text())) == Settings()


def test_template_documents_every_setting() -> None:
    text = default_config_text()
    for section, _model in Settings.model_fields.items():
        assert f"[{section}" in text
        value = getattr(Settings(), section)
        for name, info in getattr(type(value), "model_fields", {}).items():
            assert info.description, f"{section}.{name} has no help text"


def test_invalid_values_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "abmkpi.toml"
    path.write_text(
        '[workspace]\ntime_zone = "Mars/Olympus"\nreporting_currency = "yen"\n'
        "[fiscal]\nstart_month = 13\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "3 invalid setting" in message
    assert "workspace.time_zone" in message
    assert "fiscal.start_month" in message
    assert "'yen'" in message


def test_unknown_key_rejected() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict({"engagement": {"halflife": 10}})
    assert "engagement.halflife" in str(caught.value)


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = tmp_path / "abmkpi.toml"
    path.write_text("[workspace\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(path) in str(caught.value)


def test_init_twice_refused(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "w")
    with pytest.raises(WorkspaceError):
        Workspace.init(tmp_path / "w")


def test_store_has_schema_version(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        assert store.schema_version() == SCHEMA_VERSION


def test_version_1_store_migrates(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        for statement in MIGRATIONS[0]:
            store.execute(statement)
        store.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.scalar("SELECT count(*) FROM opportunity_people") == 0


def test_configuration_page_is_current() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
    assert page.read_text(encoding="utf-8") == reference_markdown(), (
        "regenerate with: python -m abmkpi.config_docs > docs/configuration.md"
    )
