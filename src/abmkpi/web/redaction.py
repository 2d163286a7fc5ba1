"""Keeping personal data out of log lines."""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_EMAIL = re.compile(r"[^\s@'\"<>(),;:]+@[^\s@'\"<>(),;:]+\.[^\s@'\"<>(),;:]+")


def loggable_path(path: str) -> str:
    """Return a request path with every segment that contains an '@' masked, so
    an e-mail address sent in a path (as an account key, say) is never
    logged. Query strings are never logged at all."""
    return "/".join(REDACTED if "@" in part else part for part in path.split("/"))


def without_emails(text: str) -> str:
    """Return text with everything shaped like an e-mail address masked, for
    logging messages that may quote stored values (such as database errors)."""
    return _EMAIL.sub(REDACTED, text)
