"""The configuration reference page (docs/configuration.md), generated from
the settings model so that every setting is documented with its default.

Regenerate with ``python -m abmkpi.config_docs > docs/configuration.md``; a
test fails when the page and the model disagree.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from abmkpi.config import Settings

_INTRO = """\
# Configuration reference

Each workspace has one config file, `abmkpi.toml`, validated as a whole when
any command starts: every invalid key is reported with its value. `abmkpi
init` writes it with every setting at its default and its help text as a
comment. After editing, run `abmkpi match` to recompute matches, personas,
targets and converted amounts; KPIs read the config each time they run.

| setting | default | meaning |
|---|---|---|
"""


def reference_markdown() -> str:
    """Return the reference page for the current settings model."""
    rows: list[str] = []
    _walk(Settings(), "", rows)
    return _INTRO + "\n".join(rows) + "\n"


def _walk(model: BaseModel, prefix: str, rows: list[str]) -> None:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            _walk(value, f"{key}.", rows)
        elif (
            isinstance(value, dict)
            and value
            and isinstance(next(iter(value.values())), BaseModel)
        ):
            for item_key, item in value.items():
                _walk(item, f"{key}.{_text(item_key)}.", rows)
        else:
            rows.append(
                f"| `{key}` | {_default(value)} | {_cell(info.description or '')} |"
            )
            item_model = _list_item_model(info.annotation)
            if item_model is not None:
                _walk_fields(item_model, f"{key}[].", rows)


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is not list:
        return None
    (item,) = get_args(annotation)
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _walk_fields(model: type[BaseModel], prefix: str, rows: list[str]) -> None:
    """Document the fields of a list item, which have no single default."""
    for name, info in model.model_fields.items():
        default = "required" if info.is_required() else _default(info.default)
        rows.append(
            f"| `{prefix}{name}` | {default} | {_cell(info.description or '')} |"
        )


def _text(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _default(value: Any) -> str:
    plain = _plain(value)
    text = json.dumps(plain, ensure_ascii=False)
    if len(text) > 60:
        text = text[:57] + "…"
    return f"`{_cell(text)}`"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value.model_dump().items()}
    if isinstance(value, dict):
        return {_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__fspath__"):
        return str(value)
    return value


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    print(reference_markdown(), end="")
