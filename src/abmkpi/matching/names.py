"""Company-name and region keys for lead-to-account name matching.

Two spellings of one company should give the same key: 株式会社ミドリテック,
(株)ミドリテック, ㈱ミドリテック and ミドリテック株式会社 all become ``ミドリテック``,
and ``ACME, Inc.``, ``Acme Corp.`` and ``Acme Co., Ltd.`` all become ``acme``.
The key is for comparison only and is never shown as a name.
"""

from __future__ import annotations

import re
import unicodedata

# Japanese legal forms, removed wherever they stand (前株 and 後株 both occur).
# After NFKC, ㈱ and （株） are both written (株).
_JAPANESE_LEGAL_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人"
    r"|公益社団法人|公益財団法人"
    r"|\(\s*(?:株|有|同|資|名|社|財|一社|一財)\s*\)"
)

# Latin legal forms, removed only as whole tokens: the form may end in a dot
# and be followed by a comma ("Co., Ltd."), but "Corporate" or "Cobalt" stay.
# "Co.Ltd." is one more token boundary.
_LATIN_LEGAL_FORMS = re.compile(
    r"(?:(?<![^\s,(])|(?<=\sco\.)|(?<=^co\.))"
    r"(?:incorporated|inc|limited|ltd|corporation|corp|company|co"
    r"|l\.l\.c|llc|l\.l\.p|llp|gmbh|ag|k\.k|kk|plc|s\.a\.s|sas|s\.a|sa"
    r"|b\.v|bv|pty|pte)"
    r"\.?(?=$|[\s,.)])"
)

_SPACES_AND_PUNCTUATION = re.compile(r"[\s,.、。]+|\(\s*\)")

# A hyphen-like character typed after a katakana letter where the long-vowel
# mark ー belongs (コ－エイ for コーエイ). NFKC has already turned the full-width
# hyphen-minus into "-", the non-breaking hyphen into U+2010, and the
# half-width ｰ into ー.
_KATAKANA_HYPHEN = re.compile(r"(?<=[\u30a1-\u30fa\u31f0-\u31ff])[-‐‑‒–—―−]")


def normalize_company_name(name: str | None) -> str | None:
    """Return the comparison key of a company name, or None for an empty name.

    The key is the NFKC-normalised, case-folded name without legal forms,
    whitespace, commas or periods, with hyphen-like characters after katakana
    replaced by ー. Distinct kanji are never folded (髙 stays 髙). A name that
    is only a legal form ("株式会社") keeps it, so it never gets an empty key.
    """
    if name is None:
        return None
    text = unicodedata.normalize("NFKC", name).casefold()
    stripped = _LATIN_LEGAL_FORMS.sub(" ", _JAPANESE_LEGAL_FORMS.sub(" ", text))
    key = _squeeze(stripped) or _squeeze(text)
    return key or None


def _squeeze(text: str) -> str:
    text = _SPACES_AND_PUNCTUATION.sub("", text)
    return _KATAKANA_HYPHEN.sub("ー", text)


def normalize_state(state: str | None) -> str | None:
    """Return the comparison key of a state or prefecture: NFKC, case-folded,
    without whitespace; None when empty."""
    if state is None:
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", state).casefold())
    return key or None
