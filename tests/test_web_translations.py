"""Every visible label of the pages and the CLI has a Japanese translation,
and formats follow the locale."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from abmkpi.config import FiscalSettings
from abmkpi.i18n import translate
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.metrics.results import Unit
from abmkpi.periods import Calendar
from abmkpi.web.pages.formats import Formatter

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "abmkpi"
WEB = PACKAGE / "web"
KEYWORDS = {"_": None, "N_": None}
# The CLI translates with a Labels object: t("..."), t.zoned("...") and,
# inside the Labels class, self("...").
CLI_KEYWORDS = {"t": None, "self": None, "zoned": None, "N_": None}
# Errors, warnings and notes are UserMessage templates, and skip reasons of the
# importers are N_-marked constants that the CLI looks up as they are.
ERROR_KEYWORDS = {"UserMessage": None, "N_": None}
# Messages that read the same in Japanese.
SAME_IN_JAPANESE = {"KPI", "MQA", "API", "ID"}


def _messages() -> list[tuple[str, str]]:
    """Return (file, message) for every message the pages mark for translation."""
    found = []
    for path in sorted((WEB / "templates").glob("*.html")):
        method = "jinja2.ext:babel_extract"
        for _, message, _, _ in extract_from_file(method, str(path), KEYWORDS):
            found.append((path.name, message))
    for path in [*sorted((WEB / "pages").glob("*.py")), PACKAGE / "vocabulary.py"]:
        for _, message, _, _ in extract_from_file("python", str(path), KEYWORDS):
            found.append((path.name, message))
    return found


def _cli_messages() -> list[tuple[str, str]]:
    """Return (file, message) for every message the CLI's tables translate."""
    found = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        for _, message, _, _ in extract_from_file("python", str(path), CLI_KEYWORDS):
            found.append((f"cli/{path.name}", message))
    return found


def _error_messages() -> list[tuple[str, str]]:
    """Return (file, message) for every ``UserMessage("...")`` and ``N_("...")``
    of the package: the errors, warnings, notes and skip reasons the CLI shows
    in its language."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = str(path.relative_to(PACKAGE))
        for _, message, _, _ in extract_from_file("python", str(path), ERROR_KEYWORDS):
            found.append((name, message))
    return found


def _fields(text: str) -> list[str]:
    """Return the distinct %-format fields of a message, such as ['%(id)s']."""
    return sorted(set(re.findall(r"%\([a-z_]+\)[sdrg]|%%", text)))


def test_pages_mark_messages() -> None:
    assert len(_messages()) > 200


def test_cli_marks_messages() -> None:
    files = {file for file, _ in _cli_messages()}
    assert len(_cli_messages()) > 150
    assert {"cli/account_output.py", "cli/handoff.py", "cli/pdca.py"} <= files


def test_errors_mark_messages() -> None:
    files = {file for file, _ in _error_messages()}
    assert len(_error_messages()) > 50
    assert {"periods.py", "kpi_targets.py", "store/lock.py", "workspace.py"} <= files


@pytest.mark.parametrize(
    ("file", "message"), _messages() + _cli_messages() + _error_messages()
)
def test_message_translated(file: str, message: str) -> None:
    assert translate(message, "ja") != message or message in SAME_IN_JAPANESE


@pytest.mark.parametrize(("file", "message"), _cli_messages() + _error_messages())
def test_translation_keeps_fields(file: str, message: str) -> None:
    assert _fields(translate(message, "ja")) == _fields(message)


@pytest.mark.parametrize("kpi_id", list(DEFINITIONS))
def test_kpi_texts_translated(kpi_id: str) -> None:
    definition = DEFINITIONS[kpi_id]
    assert translate(definition.label, "ja") != definition.label
    assert translate(definition.description, "ja") != definition.description


@pytest.fixture
def calendar() -> Calendar:
    return Calendar(FiscalSettings(), "Asia/Tokyo")


def test_yen_compact_in_japanese(calendar: Calendar) -> None:
    assert Formatter("ja", "JPY", calendar).money_compact(46_769_660) == "￥4677万"


def test_yen_compact_in_english(calendar: Calendar) -> None:
    assert Formatter("en", "JPY", calendar).money_compact(46_769_660) == "¥46.8M"


def test_small_amount_in_full(calendar: Calendar) -> None:
    assert Formatter("ja", "JPY", calendar).money_compact(420_000) == "￥420,000"


def test_dollars_in_japanese(calendar: Calendar) -> None:
    assert Formatter("ja", "JPY", calendar).money(98_765.4, "USD") == "$98,765"


def test_instant_in_business_zone(calendar: Calendar) -> None:
    formatter = Formatter("ja", "JPY", calendar)
    assert formatter.datetime(datetime(2024, 5, 1, 13, 4)) == "2024/05/01 22:04"


def test_date_in_english(calendar: Calendar) -> None:
    assert Formatter("en", "JPY", calendar).date(date(2024, 5, 1)) == "1 May 2024"


def test_short_date_in_english(calendar: Calendar) -> None:
    assert Formatter("en", "JPY", calendar).short_date(date(2024, 5, 1)) == "1 May"


def test_instant_in_english(calendar: Calendar) -> None:
    # 13:04 UTC is 22:04 in Tokyo, shown with a 24-hour clock, not 5/1/24.
    formatter = Formatter("en", "JPY", calendar)
    assert formatter.datetime(datetime(2024, 5, 1, 13, 4)) == "1 May 2024 22:04"


def test_instant_before_ten_padded(calendar: Calendar) -> None:
    # 2026-01-05 00:05 UTC is 09:05 in Tokyo.
    formatter = Formatter("ja", "JPY", calendar)
    assert formatter.datetime(datetime(2026, 1, 5, 0, 5)) == "2026/01/05 09:05"


def test_late_instant_is_next_day(calendar: Calendar) -> None:
    formatter = Formatter("ja", "JPY", calendar)
    assert formatter.date(datetime(2024, 4, 30, 15, 30)) == "2024/05/01"


def test_quarter_label_in_japanese(calendar: Calendar) -> None:
    quarter = calendar.parse("FY2024-Q1")
    assert Formatter("ja", "JPY", calendar).period(quarter) == "2024年度 第1四半期"


def test_days_in_japanese(calendar: Calendar) -> None:
    assert Formatter("ja", "JPY", calendar).unit_value(12.34, Unit.DAYS) == "12.3日"


def test_tier_segment_in_japanese(calendar: Calendar) -> None:
    assert Formatter("ja", "JPY", calendar).term("segment", "tier:2") == "ティア2"


def test_unknown_term_shown_as_is(calendar: Calendar) -> None:
    assert Formatter("ja", "JPY", calendar).term("journey", "Prospecting") == (
        "Prospecting"
    )
