"""Personas (decision maker, influencer, user) derived from job titles."""

from __future__ import annotations

import re
import unicodedata

from abmkpi.canonical import Persona
from abmkpi.config import PersonaSettings, Settings
from abmkpi.store.database import Store


class PersonaRules:
    """Compiled title rules: the first rule with a matching pattern wins."""

    def __init__(self, settings: PersonaSettings):
        self._rules = [
            (rule.persona, [re.compile(p, re.IGNORECASE) for p in rule.title_patterns])
            for rule in settings.rules
        ]

    def persona_of(self, title: str | None) -> Persona:
        if not title or not title.strip():
            return Persona.UNKNOWN
        text = unicodedata.normalize("NFKC", title)
        for persona, patterns in self._rules:
            if any(pattern.search(text) for pattern in patterns):
                return persona
        return Persona.UNKNOWN


def assign(store: Store, settings: Settings) -> dict[str, int]:
    """Set people.persona from titles; return the number of people per persona."""
    rules = PersonaRules(settings.personas)
    titles = [row[0] for row in store.fetch_all("SELECT DISTINCT title FROM people")]
    mapping = [(title, rules.persona_of(title).value) for title in titles if title]
    store.execute(
        "CREATE OR REPLACE TEMP TABLE stage_personas (title VARCHAR, persona VARCHAR)"
    )
    if mapping:
        store.execute_many("INSERT INTO stage_personas VALUES (?, ?)", mapping)
    store.execute(
        """
        UPDATE people AS p SET persona = coalesce(
            (SELECT s.persona FROM stage_personas s WHERE s.title = p.title), 'unknown')
        """,
        table="people",
    )
    store.execute("DROP TABLE stage_personas")
    rows = store.fetch_all("SELECT persona, count(*) FROM people GROUP BY persona")
    return {persona: count for persona, count in rows}
