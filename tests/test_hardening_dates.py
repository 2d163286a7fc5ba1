"""Dates at the edges: instants outside Python's range, two-digit years first,
and declared formats that name no date column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from abmkpi.errors import DateFormatError, InputError, RejectLimitError
from abmkpi.sources.dates import NAMED_FORMATS, column_evidence, decide_order
from abmkpi.workspace import Workspace
from tests.hardening_support import BASE, OPPS_HEADER, import_files, query


@pytest.fixture
def usd(make_workspace: Callable[..., Workspace]) -> Workspace:
    workspace = make_workspace(workspace={"reporting_currency": "USD"})
    import_files(workspace, BASE, "base")
    return workspace


def _opp(created: str, close: str = "2024-05-01", deal: str = "Q1") -> str:
    return f"{deal},A1,Closed Won,{created},{close},1,USD,New Business"


@pytest.mark.parametrize("created", ["0001-01-01", "9999-12-31T23:00:00-05:00"])
def test_instant_overflow_names_value(usd: Workspace, created: str) -> None:
    with pytest.raises(RejectLimitError) as caught:
        import_files(usd, {"opps_y.csv": f"{OPPS_HEADER}\n{_opp(created)}\n"}, "y")
    problem = caught.value.problems[0]
    assert problem.file.name == "opps_y.csv"
    assert (problem.line, problem.column, problem.value) == (2, "created", created)
    assert problem.reason.startswith("instant out of range")


def test_short_year_first_column_ambiguous(usd: Workspace) -> None:
    rows = [_opp("2024-04-10", "24/04/15", "Y1"), _opp("2024-04-10", "24/05/20", "Y2")]
    with pytest.raises(DateFormatError) as caught:
        import_files(usd, {"opps_yy.csv": "\n".join([OPPS_HEADER, *rows])}, "yy")
    problem = caught.value.problems[0]
    assert (problem.column, problem.value) == ("close", "24/04/15")
    assert "two-digit year (YY/MM/DD) or a day" in problem.reason
    assert "--date-format 'close=YY/MM/DD'" in caught.value.hint
    assert "--date-format 'close=DD/MM/YY'" in caught.value.hint


def test_declared_short_year_first_read(usd: Workspace) -> None:
    rows = [_opp("2024-04-10", "24/04/15", "Y1"), _opp("2024-04-10", "24/05/20", "Y2")]
    files = {"opps_yy.csv": "\n".join([OPPS_HEADER, *rows])}
    import_files(usd, files, "yy", date_formats={"close": "YY/MM/DD"})
    stored = query(
        usd,
        "SELECT source_id, close_date FROM opportunities "
        "WHERE source_id LIKE 'Y%' ORDER BY 1",
    )
    assert stored == [("Y1", dt.date(2024, 4, 15)), ("Y2", dt.date(2024, 5, 20))]


@pytest.mark.parametrize(
    ("values", "allowed"),
    [
        (["24/04/15", "24/05/20"], {"dmy", "short_ymd"}),
        (["02/03/24", "02/23/26"], {"mdy"}),
        (["31/12/23", "01/01/45"], {"dmy"}),
        (["4/5/24"], {"mdy", "dmy"}),
        (["04/15/2024"], {"mdy"}),
    ],
)
def test_short_year_evidence(values: list[str], allowed: set[str]) -> None:
    assert column_evidence(values)[0] == allowed


def test_new_declared_formats_named() -> None:
    assert NAMED_FORMATS["YY/MM/DD"] == "short_ymd"
    assert NAMED_FORMATS["YYYY.MM.DD"] == "ymd"
    order = decide_order(Path("f.csv"), "close", [(2, "24/04/15")], "yy-mm-dd")
    assert order.order == "short_ymd"


def test_date_format_for_missing_column(usd: Workspace) -> None:
    from abmkpi.sources.base import ImportOptions
    from abmkpi.sources.registry import get_importer
    from tests.hardening_support import mapping_file, write_files

    folder = usd.root.parent / "missing-column"
    paths = write_files(folder, {"opps.csv": BASE["opps.csv"]})
    options = ImportOptions(
        mapping=mapping_file(folder), date_formats={"Close Dte": "MM/DD/YYYY"}
    )
    get_importer("csv").read(paths, usd.settings, options)
    assert options.unused_date_formats() == ["Close Dte"]
    assert options.date_format_use.date_columns == {"close", "created"}


def test_date_format_for_non_date_column(usd: Workspace) -> None:
    with pytest.raises(InputError) as caught:
        import_files(
            usd,
            {"opps.csv": BASE["opps.csv"]},
            "amount",
            date_formats={"amount": "MM/DD/YYYY"},
        )
    problem = caught.value.problems[0]
    assert (problem.file.name, problem.line) == ("opps.csv", 1)
    assert (problem.column, problem.value) == ("amount", "MM/DD/YYYY")
    assert "not a date" in problem.reason
