"""Mapping files of the generic CSV importer: which file feeds which table.

A mapping file (TOML, described in docs/mapping.md) names the source system.
For each input file it names the canonical table the rows feed and the origin
of every column: a CSV column, a template over several columns or a constant,
optionally through a value map, a unit multiplier or a lookup in another
file. :func:`load_mapping` validates the shape here and the fit to the store
schema in :mod:`abmkpi.sources.mapping_checks`. It raises one
:class:`~abmkpi.errors.MappingError` that lists every problem by file and key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping as MappingType
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from abmkpi.errors import MappingError
from abmkpi.sources.csvfile import check_encoding
from abmkpi.sources.dates import NAMED_FORMATS
from abmkpi.sources.mapping_checks import MappingProblem, check_mapping, quote_key

Scalar = str | int | float | bool
StageOutcome = Literal["won", "lost", "open"]

# A template part: an escaped brace, a {header} reference, or a stray brace.
_TEMPLATE_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Model(BaseModel):
    # Infinity and NaN, which TOML allows (inf, nan), are never valid settings.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, Scalar):
        return value
    raise ValueError("must be a string, number or boolean")


class ColumnMapping(_Model):
    """The origin of one canonical column's value."""

    column: str | None = Field(None, description="CSV header holding the value.")
    value: Any = Field(None, description="Constant stored in every record.")
    template: str | None = Field(
        None, description="Text composed from several headers: '{a}-{b}'."
    )
    values: dict[str, Any] | None = Field(
        None, description="Source value to stored value; others pass through."
    )
    default: Any = Field(None, description="Value stored when the field is empty.")
    multiply: float | None = Field(
        None,
        gt=0,
        description="Factor applied to numbers (units: 1000000 for millions).",
    )
    ref_source: str | None = Field(
        None, description="Source system of a referenced record's id."
    )

    _value = field_validator("value", "default")(_scalar)

    @field_validator("values")
    @classmethod
    def _map_values(cls, values: dict[str, Any] | None) -> dict[str, Any] | None:
        for stored in (values or {}).values():
            _scalar(stored)
        return values

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnMapping:
        origins = [
            name
            for name in ("column", "value", "template")
            if getattr(self, name) is not None
        ]
        if len(origins) != 1:
            raise ValueError(
                "give exactly one of column, value or template"
                + (f" (found {', '.join(origins)})" if origins else "")
            )
        if self.values is not None and self.column is None:
            raise ValueError("values (a value map) applies only to a column")
        if self.template is not None:
            template_headers(self.template)
        return self

    @property
    def origin(self) -> str:
        """The header, template or constant, as the mapping file writes it."""
        if self.column is not None:
            return self.column
        if self.template is not None:
            return self.template
        return repr(self.value)


class StageMapping(_Model):
    """The outcome of one stage label and its position in the sales order."""

    outcome: StageOutcome = "open"
    order: int | None = Field(None, ge=0, description="Position of an open stage.")


class LookupMapping(_Model):
    """A column filled from another file, joined on a key column."""

    column: str = Field(description="Canonical column to fill.")
    file: str = Field(description="Name or glob of the lookup file.")
    key: str = Field(description="Key header in the lookup file.")
    match: str = Field(description="Header in this file compared with the key.")
    value: str = Field(description="Header in the lookup file holding the value.")
    when: Literal["empty", "empty_or_zero"] = "empty"
    normalize: bool = Field(
        False, description="Compare keys ignoring case, width and spaces."
    )


class TableMapping(_Model):
    """One input file (or glob) and the canonical table its rows become."""

    file: str = Field(min_length=1)
    target: str
    where: dict[str, list[str]] = Field(default_factory=dict)
    deleted: str | None = None
    columns: dict[str, ColumnMapping]
    stages: dict[str, StageMapping] = Field(default_factory=dict)
    lookups: list[LookupMapping] = Field(default_factory=list)

    @field_validator("columns", mode="before")
    @classmethod
    def _column_shorthand(cls, columns: Any) -> Any:
        if not isinstance(columns, dict):
            return columns
        return {
            name: {"column": spec} if isinstance(spec, str) else spec
            for name, spec in columns.items()
        }

    @field_validator("where", mode="before")
    @classmethod
    def _where_lists(cls, where: Any) -> Any:
        if not isinstance(where, dict):
            return where
        return {
            header: [str(v) for v in allowed]
            if isinstance(allowed, list)
            else [str(allowed)]
            for header, allowed in where.items()
        }

    @field_validator("stages", mode="before")
    @classmethod
    def _stage_shorthand(cls, stages: Any) -> Any:
        if not isinstance(stages, dict):
            return stages
        return {label: _stage_of(label, spec) for label, spec in stages.items()}

    def describe(self) -> str:
        return f"{self.file} → {self.target}"


def _stage_of(label: str, spec: Any) -> Any:
    if isinstance(spec, int) and not isinstance(spec, bool):
        return {"order": spec}
    if isinstance(spec, str):
        return {"outcome": spec}
    if isinstance(spec, dict):
        return spec
    raise ValueError(
        f"stage {label!r}: write an order number, an outcome (won, lost or "
        'open), or a table such as { outcome = "won", order = 4 }'
    )


class Mapping(_Model):
    """A whole mapping file."""

    source: str = Field(
        description="Source system name; record ids become '<source>:<id>'."
    )
    encoding: str | None = None
    time_zone: str | None = None
    date_formats: dict[str, str] = Field(default_factory=dict)
    tables: list[TableMapping] = Field(min_length=1)

    _path: Path = PrivateAttr(default=Path("mapping"))

    @property
    def path(self) -> Path:
        return self._path

    @field_validator("source")
    @classmethod
    def _plain_source(cls, name: str) -> str:
        if not _SOURCE_NAME.match(name):
            raise ValueError(
                f"invalid source name {name!r}: use letters, digits, '_', '-' and "
                "'.', starting with a letter or digit (':' separates the source "
                "from the id in record ids)"
            )
        return name

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str | None) -> str | None:
        return None if name is None else check_encoding(name)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {name!r}; use an IANA name such as Asia/Tokyo"
            ) from error
        return name

    @field_validator("date_formats")
    @classmethod
    def _known_formats(cls, formats: dict[str, str]) -> dict[str, str]:
        for header, name in formats.items():
            if name.upper() not in NAMED_FORMATS:
                raise ValueError(
                    f"unknown date format {name!r} for {header!r}; use one of "
                    + ", ".join(NAMED_FORMATS)
                )
        return formats


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; raise MappingError listing every problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise MappingError(f"mapping file not found: {path}") from error
    except UnicodeDecodeError as error:
        raise MappingError(f"{path}: a mapping file must be UTF-8 text") from error
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{path}: invalid TOML: {error}") from error
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as error:
        raise MappingError(_describe(path, _pydantic_problems(error))) from error
    mapping._path = path
    problems = check_mapping(mapping)
    if problems:
        raise MappingError(_describe(path, problems))
    return mapping


def _pydantic_problems(error: ValidationError) -> list[MappingProblem]:
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        value = item.get("input")
        if item["type"] not in ("missing", "value_error") and not isinstance(
            value, dict | list
        ):
            message += f" (value {value!r})"
        problems.append(MappingProblem(key_path(item["loc"]), message))
    return problems


def key_path(parts: tuple[int | str, ...]) -> str:
    """Write a location as a TOML key path: tables[1].columns."Close Date"."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        text += f".{quote_key(part)}" if text else quote_key(part)
    return text or "(top level)"


def _describe(path: Path, problems: list[MappingProblem]) -> str:
    noun = "problem" if len(problems) == 1 else "problems"
    lines = [f"invalid mapping file {path}: {len(problems)} {noun}"]
    lines += [f"  {problem.key}: {problem.message}" for problem in problems]
    return "\n".join(lines)


def template_headers(template: str) -> list[str]:
    """Return the headers a template names; raise ValueError if it is malformed."""
    headers = []
    for part in _TEMPLATE_PART.finditer(template):
        if part.group(0) in ("{{", "}}"):
            continue
        name = part.group(1)
        if name is None or not name.strip():
            raise ValueError(
                f"template {template!r} has a stray or empty brace at character "
                f"{part.start() + 1}; write {{{{ or }}}} for a literal brace"
            )
        headers.append(name.strip())
    if not headers:
        raise ValueError(
            f"template {template!r} names no column; write a constant as value"
        )
    return headers


def fill_template(template: str, fields: MappingType[str, str | None]) -> str | None:
    """Compose a template from trimmed field values (keys are template names).

    The result is None when every field the template names is empty.
    """
    if not any((fields.get(name) or "").strip() for name in template_headers(template)):
        return None

    def replace(part: re.Match[str]) -> str:
        if part.group(0) in ("{{", "}}"):
            return part.group(0)[0]
        return (fields.get(part.group(1).strip()) or "").strip()

    return _TEMPLATE_PART.sub(replace, template).strip() or None
