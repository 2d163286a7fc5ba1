"""Translations of labels through gettext catalogs (Japanese and English).

Messages are written in English in the code; ``locale/<lang>/LC_MESSAGES/
abmkpi.po`` holds the translations and is read with Babel at run time, so no
compile step is needed after editing a catalog.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from babel.messages.pofile import read_po

LANGUAGES = ("en", "ja")


@cache
def _catalog(language: str) -> dict[str, str]:
    resource = files("abmkpi").joinpath(f"locale/{language}/LC_MESSAGES/abmkpi.po")
    if not resource.is_file():
        return {}
    with resource.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def translate(message: str, language: str) -> str:
    """Return ``message`` in ``language``, or unchanged when there is no entry."""
    if language == "en":
        return message
    return _catalog(language).get(message, message)


def N_(message: str) -> str:
    """Mark a message for extraction; :func:`translate` translates it later."""
    return message


# The name a new workspace gets; shown translated until the user renames it.
DEFAULT_WORKSPACE_NAME = N_("ABM workspace")


def workspace_name(name: str, language: str) -> str:
    """Return the workspace name to show in ``language``: the default name
    translated, any name the user set as written."""
    if name == DEFAULT_WORKSPACE_NAME:
        return translate(name, language)
    return name
