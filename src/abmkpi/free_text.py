"""Checks of free text that people type and the store keeps: titles, notes,
owners and names.

The CLI, the JSON API and the dashboard forms pass such text through
:func:`checked_text`, so all three accept the same values: leading and
trailing white space removed, at most a field's maximum length, and no
control characters (a note may contain line breaks and tabs).
"""

from __future__ import annotations

import unicodedata

from abmkpi.errors import FieldError, UserMessage
from abmkpi.vocabulary import N_

# Characters allowed in multi-line text besides printable ones.
_LINE_CONTROLS = frozenset("\n\t")

# The labels that callers pass, marked so that the catalog translates them.
FIELD_LABELS = (
    N_("title"),
    N_("owner"),
    N_("note"),
    N_("name"),
    N_("token name"),
    N_("acknowledged-by name"),
)


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
    name = UserMessage(label or field.replace("_", " "))
    if not text:
        if required:
            raise FieldError(
                field,
                UserMessage(
                    "the %(label)s is empty; give a short %(label)s", label=name
                ),
            )
        return None
    if len(text) > limit:
        raise FieldError(
            field,
            UserMessage(
                "the %(label)s %(text)r has %(count)s characters; the maximum is "
                "%(limit)s",
                label=name,
                text=_clip(text),
                count=format(len(text), ","),
                limit=format(limit, ","),
            ),
        )
    allowed = _LINE_CONTROLS if multiline else frozenset()
    for character in text:
        if unicodedata.category(character) == "Cc" and character not in allowed:
            raise FieldError(
                field,
                UserMessage(
                    "the %(label)s %(text)r contains the control character "
                    "U+%(code)s; remove it",
                    label=name,
                    text=_clip(text),
                    code=format(ord(character), "04X"),
                ),
            )
    return text


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
