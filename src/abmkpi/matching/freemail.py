"""Free-mail domains: e-mail domains that do not identify a person's employer.

The list is our curated file of global webmail providers and Japanese ISP,
carrier and webmail domains, united with the ``disposable-email-domains``
package's blocklist, the files and domains listed in the ``[matching]``
config section, and minus its ``not_free_mail_domains``. Entries match the
whole domain, except entries with a leading dot, which match that domain and
every sub-domain of it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from disposable_email_domains import blocklist

from abmkpi.config import MatchingSettings
from abmkpi.errors import ConfigError, InputError, InputProblem

logger = logging.getLogger(__name__)

CURATED_FILE = Path(__file__).parent / "data" / "free_mail_domains.txt"

_DOMAIN = re.compile(r"^\.?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]{2,}$")


@dataclass(frozen=True)
class DomainList:
    """Exact domains plus suffix entries that also cover sub-domains."""

    exact: frozenset[str]
    suffixes: frozenset[str]

    @classmethod
    def of(cls, entries: Iterable[str]) -> DomainList:
        exact: set[str] = set()
        suffixes: set[str] = set()
        for entry in entries:
            if entry.startswith("."):
                suffixes.add(entry[1:])
            else:
                exact.add(entry)
        return cls(frozenset(exact), frozenset(suffixes))

    def __contains__(self, domain: object) -> bool:
        if not isinstance(domain, str) or not domain:
            return False
        if domain in self.exact:
            return True
        if not self.suffixes:
            return False
        labels = domain.split(".")
        return any(
            ".".join(labels[start:]) in self.suffixes for start in range(len(labels))
        )

    def __len__(self) -> int:
        return len(self.exact) + len(self.suffixes)


@dataclass(frozen=True)
class FreeMailDomains:
    """The resolved free-mail list: listed domains minus the exceptions."""

    listed: DomainList
    exceptions: DomainList

    def __contains__(self, domain: object) -> bool:
        return domain in self.listed and domain not in self.exceptions

    def __len__(self) -> int:
        return len(self.listed)


def resolve_free_mail(
    settings: MatchingSettings, root: Path | None = None
) -> FreeMailDomains:
    """Build the free-mail list from the curated file, the disposable-mail
    blocklist and the config. Relative config files are read from ``root``."""
    entries = set(read_domain_file(CURATED_FILE))
    entries.update(domain.lower() for domain in blocklist)
    for path in settings.free_mail_files:
        entries.update(read_domain_file(_config_path(path, root)))
    entries.update(_config_domains(settings.free_mail_domains, "free_mail_domains"))
    exceptions = _config_domains(
        settings.not_free_mail_domains, "not_free_mail_domains"
    )
    logger.debug("free-mail list has %d entries", len(entries))
    return FreeMailDomains(DomainList.of(entries), DomainList.of(exceptions))


def read_domain_file(path: Path) -> list[str]:
    """Read a domain list: a JSON array of strings, or one domain per line with
    ``#`` comments. Raise InputError naming the line of every invalid entry."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise ConfigError(
            f"free-mail domain file not found: {path}; fix matching.free_mail_files"
        ) from error
    except UnicodeDecodeError as error:
        raise InputError(
            InputProblem(path, None, None, None, f"not UTF-8 text: {error}")
        ) from error
    if text.lstrip().startswith("["):
        items = _json_items(path, text)
    else:
        items = _line_items(text)
    problems = [
        InputProblem(path, line, None, value, "not a domain name")
        for line, value in items
        if not _DOMAIN.match(value)
    ]
    if problems:
        raise InputError(problems, hint="write one domain such as example.co.jp")
    return [value for _, value in items]


def _line_items(text: str) -> list[tuple[int, str]]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip().lower()
        if value:
            items.append((number, value))
    return items


def _json_items(path: Path, text: str) -> list[tuple[int, str]]:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            InputProblem(path, error.lineno, None, None, f"invalid JSON: {error.msg}")
        ) from error
    if not isinstance(values, list):
        raise InputError(
            InputProblem(path, 1, None, None, "expected a JSON array of domains")
        )
    # A JSON array written one entry per line (the usual layout) puts entry i
    # on line i + 2. For other layouts the line is approximate.
    items = []
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise InputError(
                InputProblem(path, index + 2, None, repr(value), "not a string")
            )
        items.append((index + 2, value.strip().lower()))
    return items


def _config_path(path: Path, root: Path | None) -> Path:
    if path.is_absolute():
        return path
    if root is None:
        raise ConfigError(
            f"matching.free_mail_files entry {str(path)!r} is relative, but no "
            "workspace directory was given to resolve it"
        )
    return root / path


def _config_domains(values: list[str], key: str) -> list[str]:
    domains = [value.strip().lower() for value in values]
    invalid = [value for value in domains if not _DOMAIN.match(value)]
    if invalid:
        raise ConfigError(
            f"matching.{key}: {invalid[0]!r} is not a domain name; write a "
            "domain such as example.com, or .example.com to include sub-domains"
        )
    return domains
