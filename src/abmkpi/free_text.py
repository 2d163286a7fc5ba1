"""Checks of free text that people type and the store keeps: titles, notes,
owners and names.

The CLI, the JSON API and the dashboard forms pass such text through
:func:`checked_text`, so all three accept the same values: leading and
trailing white space removed, at most a field's maximum length, and no
control characters (a note may contain line breaks and tabs).
"""

from __future__ import annotations

import unicodedata

from abmkpi.errors import FieldError

# Characters allowed in multi-line text besides printable ones.
_LINE_CONTROLS = frozenset("\n\t")


def checked_text(
    value: str | None,
    field: str,
    limit: int,
    *,
    required: bool = False,
    multiline: bool = False,
    label: str | None = None,
) -> str | None:
    """Return ``value`` stripped (None when blank and not required), or raise
    FieldError naming the field and the problem. ``label`` names the field in
    messages (default: the field name with spaces)."""
    text = value.strip() if value is not None else None
    label = label or field.replace("_", " ")
    if not text:
        if required:
            raise FieldError(field, f"the {label} is empty; give a short {label}")
        return None
    if len(text) > limit:
        raise FieldError(
            field,
            f"the {label} {_clip(text)!r} has {len(text):,} characters; the "
            f"maximum is {limit:,}",
        )
    allowed = _LINE_CONTROLS if multiline else frozenset()
    for character in text:
        if unicodedata.category(character) == "Cc" and character not in allowed:
            raise FieldError(
                field,
                f"the {label} {_clip(text)!r} contains the control character "
                f"U+{ord(character):04X}; remove it",
            )
    return text


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
