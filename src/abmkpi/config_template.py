"""The commented config file that ``abmkpi init`` writes.

It is generated from the settings model, so every setting appears with its
default and its help text, and the file can never drift from the model.
"""

from __future__ import annotations

import textwrap
from enum import Enum
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.items import Table as TomlTable

from abmkpi.config import Settings

_HEADER = """\
abmkpi workspace config. Every setting is shown with its default; edit what
you need. Rates are fractions (0.6 = 60%). After a change, run 'abmkpi match'
to recompute matches, personas, targets and converted amounts.
"""


def default_config_text(settings: Settings | None = None) -> str:
    """Return the config file text for ``settings`` (defaults when omitted)."""
    settings = settings or Settings()
    document = tomlkit.document()
    for line in _HEADER.splitlines():
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        document.add(name, _section(value, info.description, name))
    return tomlkit.dumps(document)


def _section(model: Any, description: str | None, path: str) -> Any:
    if isinstance(model, BaseModel):
        table = tomlkit.table()
        _fill(table, model, path)
        return table
    if isinstance(model, dict):
        table = tomlkit.table()
        for key, item in model.items():
            key_text = key.value if isinstance(key, Enum) else str(key)
            if isinstance(item, BaseModel):
                sub = tomlkit.table()
                _fill(sub, item, f"{path}.{key_text}")
                table.add(key_text, sub)
            else:
                table.add(key_text, _plain(item))
        return table
    return _plain(model)


def _fill(table: TomlTable, model: BaseModel, path: str) -> None:
    # Scalars first: in TOML a key after a sub-table belongs to the sub-table.
    nested: list[tuple[str, str, Any]] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        description = info.description or ""
        if _is_table(value):
            nested.append((name, description, value))
            continue
        _comment(table, description)
        extra = info.json_schema_extra
        example = extra.get("example") if isinstance(extra, dict) else None
        if value is None:
            table.add(tomlkit.comment(f"{name} = (not set)"))
        elif value == [] and isinstance(example, list):
            _comment_example(table, f"{path}.{name}", example)
        else:
            table.add(name, _plain(value))
    for name, description, value in nested:
        table.add(name, _nested(value, description, f"{path}.{name}"))


def _comment_example(table: TomlTable, path: str, example: list[Any]) -> None:
    """Show an empty list of tables as a commented example to copy."""
    table.add(tomlkit.comment("none by default; for example:"))
    for item in example:
        table.add(tomlkit.comment(f"[[{path}]]"))
        for key, value in item.items():
            table.add(tomlkit.comment(f"{key} = {tomlkit.item(value).as_string()}"))


def _is_table(value: Any) -> bool:
    if isinstance(value, BaseModel | dict):
        return True
    return isinstance(value, list) and bool(value) and isinstance(value[0], BaseModel)


def _nested(value: Any, description: str, path: str) -> Any:
    if isinstance(value, list):
        array = tomlkit.aot()
        for item in value:
            sub = tomlkit.table()
            _fill(sub, item, path)
            array.append(sub)
        return array
    sub = tomlkit.table()
    _comment(sub, description)
    if isinstance(value, BaseModel):
        _fill(sub, value, path)
    else:
        for key, item in value.items():
            key_text = key.value if isinstance(key, Enum) else str(key)
            sub.add(key_text, _plain(item))
    return sub


def _comment(table: TomlTable, description: str) -> None:
    for line in textwrap.wrap(description, 76):
        table.add(tomlkit.comment(line))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value.model_dump().items()}
    return value
