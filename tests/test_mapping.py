"""Mapping files of the generic CSV importer: loading, validation and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from abmkpi.errors import MappingError
from abmkpi.sources.mapping import (
    Mapping,
    fill_template,
    key_path,
    load_mapping,
    template_headers,
)

MAPPINGS = Path(__file__).parent / "mappings"
EXAMPLES = Path(__file__).parents[1] / "examples" / "mappings"

HEAD = 'source = "crm"\n[[tables]]\nfile = "deals.csv"\n'


def load_text(tmp_path: Path, text: str) -> Mapping:
    path = tmp_path / "deals.toml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path)


def mapping_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(MappingError) as caught:
        load_text(tmp_path, text)
    return str(caught.value)


@pytest.mark.parametrize(
    "path",
    [
        EXAMPLES / "maven-crm.toml",
        MAPPINGS / "event-attendees.toml",
        MAPPINGS / "hubspot-email-events.toml",
        MAPPINGS / "us-locale-deals.toml",
    ],
    ids=lambda path: path.name,
)
def test_shipped_mappings_load(path: Path) -> None:
    assert load_mapping(path).tables


def test_maven_mapping_shape() -> None:
    mapping = load_mapping(EXAMPLES / "maven-crm.toml")
    accounts, opportunities = mapping.tables
    assert mapping.source == "maven"
    assert accounts.columns["annual_revenue"].multiply == 1_000_000
    assert opportunities.stages["Engaging"].order == 2
    assert opportunities.stages["Lost"].outcome == "lost"
    assert opportunities.lookups[0].when == "empty_or_zero"


def test_column_shorthand(tmp_path: Path) -> None:
    mapping = load_text(
        tmp_path,
        HEAD + 'target = "accounts"\n[tables.columns]\nid = "Id"\nname = "Name"\n',
    )
    assert mapping.tables[0].columns["name"].column == "Name"


def test_error_names_file(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path, HEAD + 'target = "deals"\n[tables.columns]\nid = "Id"\n'
    )
    assert f"invalid mapping file {tmp_path / 'deals.toml'}: 1 problem" in message
    assert "tables[0].target: unknown table 'deals'" in message


def test_unknown_column(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "accounts"\n[tables.columns]\nid = "Id"\ncolour = "C"\n',
    )
    assert "tables[0].columns.colour: unknown column of table accounts" in message


def test_derived_column(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "opportunities"\n[tables.columns]\nid = "Id"\n'
        'account_id = "Account"\n',
    )
    assert "tables[0].columns.account_id: account_id is computed" in message
    assert "map source_account_id instead" in message


def test_missing_required_columns(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path, HEAD + 'target = "activities"\n[tables.columns]\nid = "Id"\n'
    )
    assert "tables[0].columns: table activities needs occurred_at, type" in message


def test_constant_outside_vocabulary(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "activities"\n[tables.columns]\nid = "Id"\n'
        'occurred_at = "At"\ntype = { value = "webinar" }\n',
    )
    assert "tables[0].columns.type: value 'webinar': not one of" in message


def test_value_map_outside_vocabulary(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "people"\n[tables.columns]\nid = "Id"\n'
        'kind = { column = "Kind", values = { P = "prospect" } }\n',
    )
    assert "tables[0].columns.kind: values.P 'prospect': not one of" in message


def test_multiply_on_text(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "accounts"\n[tables.columns]\nid = "Id"\n'
        'name = { column = "Name", multiply = 2 }\n',
    )
    assert "tables[0].columns.name: multiply applies only to number" in message


def test_bad_multiply_value(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "accounts"\n[tables.columns]\nid = "Id"\n'
        'annual_revenue = { column = "Revenue", multiply = "million" }\n',
    )
    assert "tables[0].columns.annual_revenue.multiply: Input should be" in message
    assert "(value 'million')" in message


def test_two_origins(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "accounts"\n[tables.columns]\nid = "Id"\n'
        'name = { column = "Name", value = "Acme" }\n',
    )
    assert "give exactly one of column, value or template" in message


def test_date_column_with_value_map(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "opportunities"\n[tables.columns]\nid = "Id"\n'
        'close_date = { column = "Closed", values = { soon = "2024-01-01" } }\n',
    )
    assert "tables[0].columns.close_date: a date column reads one" in message


def test_stages_disagree(tmp_path: Path) -> None:
    table = (
        '[[tables]]\nfile = "{name}.csv"\ntarget = "opportunities"\n'
        '[tables.columns]\nid = "Id"\nstage = "Stage"\n'
        '[tables.stages]\nWon = "{outcome}"\n'
    )
    text = 'source = "crm"\n' + table.format(name="a", outcome="won")
    text += table.format(name="b", outcome="lost")
    message = mapping_error(tmp_path, text)
    assert "tables[1].stages.Won: differs from tables[0].stages.Won" in message


def test_stage_forms(tmp_path: Path) -> None:
    mapping = load_text(
        tmp_path,
        HEAD + 'target = "opportunities"\n[tables.columns]\nid = "Id"\n'
        'stage = "Stage"\n[tables.stages]\nQualify = 1\nWon = "won"\n'
        'Signed = { outcome = "won", order = 5 }\n',
    )
    stages = mapping.tables[0].stages
    assert (stages["Qualify"].outcome, stages["Qualify"].order) == ("open", 1)
    assert (stages["Won"].outcome, stages["Won"].order) == ("won", None)
    assert (stages["Signed"].outcome, stages["Signed"].order) == ("won", 5)


def test_source_with_colon(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        'source = "crm:eu"\n[[tables]]\nfile = "a.csv"\ntarget = "accounts"\n'
        '[tables.columns]\nid = "Id"\n',
    )
    assert "source: invalid source name 'crm:eu'" in message


def test_unknown_date_format(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD.replace("[[tables]]\n", '[date_formats]\n"Closed" = "M/D"\n[[tables]]\n')
        + 'target = "accounts"\n[tables.columns]\nid = "Id"\n',
    )
    assert "date_formats: unknown date format 'M/D' for 'Closed'" in message


def test_unknown_key(tmp_path: Path) -> None:
    message = mapping_error(
        tmp_path,
        HEAD + 'target = "accounts"\nfilter = 1\n[tables.columns]\nid = "Id"\n',
    )
    assert "tables[0].filter: Extra inputs are not permitted" in message


def test_invalid_toml(tmp_path: Path) -> None:
    message = mapping_error(tmp_path, "source = \n")
    assert "deals.toml: invalid TOML" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="mapping file not found"):
        load_mapping(tmp_path / "absent.toml")


def test_key_path_quotes() -> None:
    assert key_path(("tables", 1, "columns", "Close Date")) == (
        'tables[1].columns."Close Date"'
    )


def test_template_headers() -> None:
    assert template_headers("{leadId}-{attended Date}") == ["leadId", "attended Date"]


def test_template_stray_brace() -> None:
    with pytest.raises(ValueError, match="stray or empty brace at character 5"):
        template_headers("{id}}")


def test_fill_template() -> None:
    fields = {"a": " 1 ", "b": "x"}
    assert fill_template("{a}-{b} {{raw}}", fields) == "1-x {raw}"


def test_fill_template_all_empty() -> None:
    assert fill_template("{a}-{b}", {"a": "", "b": None}) is None


def test_docs_cover_every_key() -> None:
    from abmkpi.sources.mapping import (
        ColumnMapping,
        LookupMapping,
        StageMapping,
        TableMapping,
    )

    docs = (Path(__file__).parents[1] / "docs" / "mapping.md").read_text()
    models = (Mapping, TableMapping, ColumnMapping, StageMapping, LookupMapping)
    for model in models:
        for name in model.model_fields:
            assert f"| `{name}` |" in docs, f"{model.__name__}.{name}"
