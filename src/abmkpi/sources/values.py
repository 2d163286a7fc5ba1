"""Parsing single field values from exports: ids, booleans, numbers, e-mails."""

from __future__ import annotations

import math
import re
import unicodedata

# Salesforce Data Export writes an empty lookup as fifteen zeros plus a
# checksum suffix instead of an empty value.
_NULL_IDS = {"000000000000000", "000000000000000AAA"}

_TRUE = {"1", "true", "t", "yes", "y", "はい", "真", "on"}
_FALSE = {"0", "false", "f", "no", "n", "いいえ", "偽", "off"}

_NUMBER = re.compile(r"^[+-]?(\d+(,\d{3})*|\d*)(\.\d+)?([eE][+-]?\d+)?$")
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+(,\d{3})*$")
_CURRENCY_MARKS = "¥￥$€£円"

# The range of BIGINT, the widest integer column of the store.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# Characters that carry no text but survive copying and re-saving a file: a
# byte-order mark inside a row, zero-width spaces and the word joiner. They
# are removed anywhere, so an id with one is the same id as without it.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u2060"))
# Zero-width (non-)joiners shape some scripts inside a word, so they are
# removed only at the ends of a value.
_INVISIBLE_AT_ENDS = "\u200c\u200d"


def clean_text(value: str | None) -> str | None:
    """Return the value without surrounding whitespace and invisible
    characters, or None if nothing is left."""
    if value is None:
        return None
    value = value.translate(_INVISIBLE).strip()
    value = value.strip(_INVISIBLE_AT_ENDS).strip()
    return value or None


def check_no_nul(value: str | None) -> None:
    """Raise ValueError if the value contains a NUL character.

    CSV exports never write NUL, so one is a sign of a damaged file, and text
    with it breaks comparisons and output downstream.
    """
    if value is not None and "\x00" in value:
        raise ValueError(
            "contains a NUL character (byte 00), which suggests a damaged file; "
            "export the file again"
        )


def parse_id(value: str | None) -> str | None:
    """Return a record id, treating empty and Salesforce null ids as missing."""
    text = clean_text(value)
    if text is None or text in _NULL_IDS:
        return None
    return text


def parse_bool(value: str | None) -> bool | None:
    """Parse 0/1, true/false, yes/no (any case) and はい/いいえ."""
    text = clean_text(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("not a boolean; expected 0/1, true/false or yes/no")


def parse_number(value: str | None) -> float | None:
    """Parse a number, allowing thousands separators and currency marks."""
    text = clean_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    text = text.strip(_CURRENCY_MARKS + " ")
    if text.endswith("%"):
        raise ValueError("a percentage where a plain number is expected")
    if not _NUMBER.match(text) or text in {"", "+", "-", "."}:
        raise ValueError("not a number")
    number = float(text.replace(",", ""))
    if not math.isfinite(number):
        raise ValueError("number out of range (too large to store)")
    return -number if negative else number


def parse_int(value: str | None) -> int | None:
    """Parse a whole number that fits a BIGINT column."""
    number = parse_number(value)
    if number is None:
        return None
    if number != int(number):
        raise ValueError("not a whole number")
    text = unicodedata.normalize("NFKC", clean_text(value) or "")
    # Digits are read exactly: a float stores integers exactly only up to 2^53.
    whole = int(text.replace(",", "")) if _WHOLE_NUMBER.match(text) else int(number)
    if not INT64_MIN <= whole <= INT64_MAX:
        raise ValueError(f"whole number out of range (at most {INT64_MAX:,})")
    return whole


def normalize_email(value: str | None) -> str | None:
    """Return the canonical e-mail key: trimmed, lower-cased, or None if invalid."""
    text = clean_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip().lower()
    if text.count("@") != 1 or any(char.isspace() for char in text):
        return None
    local, domain = text.split("@")
    labels = domain.split(".")
    # The domain needs two or more labels, none empty: a@b, a@b. and a@.b are
    # not addresses. The local part is left loose, because some Japanese
    # mobile carriers issued addresses with consecutive dots.
    if not local or len(labels) < 2 or not all(labels):
        return None
    return text


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1]


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def domain_of_website(value: str | None) -> str | None:
    """Return the host of a website field, without scheme, 'www.', port or path."""
    text = clean_text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SCHEME.sub("", text)
    host = re.split(r"[/?#:]", text, maxsplit=1)[0].strip(". ")
    if host.startswith("www."):
        host = host[4:]
    if "." not in host or " " in host or "@" in host:
        return None
    return host


def full_name(first: str | None, last: str | None) -> str | None:
    """Join name parts in the order of the script: 山田 太郎, Taro Yamada."""
    if first and last and _is_cjk(first + last):
        return f"{last} {first}"
    parts = [part for part in (first, last) if part]
    return " ".join(parts) or None


def _is_cjk(text: str) -> bool:
    return any(
        "\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in text
    )
