"""Report packs on a small demo workspace, in both languages and three formats.

The weekly pack is written by ``abmkpi schedule --run-due`` and the monthly
one by ``abmkpi report``, both in subprocesses; the quarterly pack is built
in this process. Values are checked against ``abmkpi kpi --format json``.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pypdfium2
import pytest

from abmkpi.demo import DemoSize, generate
from abmkpi.pdca.checks import LowPerformer, low_performers
from abmkpi.pdca.patterns import PatternReport, PatternScope, pattern_report
from abmkpi.periods import Calendar
from abmkpi.reports.cadence import Cadence
from abmkpi.reports.html import render_html
from abmkpi.reports.pack import ReportPack, build_pack
from abmkpi.reports.pdf import PdfPrinter, chromium_path
from abmkpi.reports.runs import Trigger
from abmkpi.reports.scheduler import ReportScheduler, single_store
from abmkpi.reports.xlsx import write_xlsx
from abmkpi.web.pages.formats import Formatter
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json

END = date(2025, 3, 31)
SIZE = DemoSize(accounts=300, activities=20_000, target_accounts=12)
# 2025-03-24 is a Monday: the weekly pack fires at 08:00 in Tokyo.
MONDAY_MORNING = "2025-03-24T08:05:00+09:00"


@dataclass
class Demo:
    root: Path
    workspace: Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("packs") / "ws"
    workspace = Workspace.init(root)
    generate(workspace, SIZE, seed=5, end_date=END)
    with workspace.open_store() as store:
        store.execute(
            "INSERT INTO pdca_actions (id, account_id, title, rule, owner, due_date, "
            "status, created_at) VALUES "
            "(1, 'demo:acc1', 'Invite to the user conference', 'no_engagement', "
            "'佐藤', DATE '2025-03-10', 'open', TIMESTAMP '2025-02-28 15:30:00'), "
            "(2, 'demo:acc3', 'Call the CFO', NULL, 'Kim', DATE '2025-06-30', "
            "'open', TIMESTAMP '2025-03-02 00:00:00'), "
            "(3, 'demo:acc3', 'Send the case study', NULL, 'Kim', "
            "DATE '2025-03-05', 'done', TIMESTAMP '2025-02-01 00:00:00')"
        )
    return Demo(root, Workspace.load(root))


@pytest.fixture(scope="module")
def weekly_run(demo: Demo) -> list[str]:
    """Write the weekly pack as the Monday-morning schedule does."""
    result = run_cli("-w", demo.root, "schedule", "--run-due", "--now", MONDAY_MORNING)
    return result.stdout.splitlines()


@pytest.fixture(scope="module")
def listing_after_run(weekly_run: list[str], demo: Demo) -> dict[str, Any]:
    """Return the schedule listing right after the Monday-morning run, before
    the scheduler test records a later run."""
    return run_json("-w", demo.root, "schedule", "--now", "2025-03-24T09:00:00+09:00")


@pytest.fixture(scope="module")
def quarterly(demo: Demo) -> ReportPack:
    workspace = demo.workspace
    calendar = workspace.calendar
    with workspace.open_store(read_only=True) as store:
        return build_pack(
            store,
            workspace.settings,
            calendar,
            Cadence.QUARTERLY,
            calendar.parse("FY2024-Q4"),
        )


@pytest.fixture(scope="module")
def quarterly_files(
    quarterly: ReportPack, demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Write the quarterly pack in both languages and all three formats."""
    if chromium_path() is None:
        pytest.skip("Chromium is not installed; install Debian's chromium package")
    folder = tmp_path_factory.mktemp("quarterly")
    calendar = demo.workspace.calendar
    files = {}
    with PdfPrinter() as printer:
        for language in ("ja", "en"):
            html = render_html(quarterly, calendar, language)
            files[f"html-{language}"] = folder / f"q-{language}.html"
            files[f"html-{language}"].write_text(html, encoding="utf-8")
            files[f"xlsx-{language}"] = folder / f"q-{language}.xlsx"
            write_xlsx(quarterly, calendar, language, files[f"xlsx-{language}"])
            files[f"pdf-{language}"] = folder / f"q-{language}.pdf"
            printer.print(html, files[f"pdf-{language}"])
    return files


def kpi_rows(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Return the KPI sheet's rows by (KPI key, segment id)."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    header = [
        "key",
        "segment",
        "label",
        "department",
        "segment_label",
        "value",
        "target",
        "paced_target",
        "status",
        "ci_low",
        "ci_high",
        "prior",
        "change",
        "numerator",
        "denominator",
    ]
    return {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows[1:]}


def json_results(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    results = {}
    for result in document["results"]:
        key = result["id"] + (f":{result['variant']}" if "variant" in result else "")
        results[(key, result["segment"])] = result
    return results


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write an RGB array as a PNG file (8-bit, no filter)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def page_pixels(path: Path, index: int) -> np.ndarray:
    document = pypdfium2.PdfDocument(path)
    bitmap = document[index].render(scale=1)
    pixels = bitmap.to_numpy()[:, :, :3][:, :, ::-1].copy()
    document.close()
    return pixels


def pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


# The weekly pack, written by the schedule -----------------------------------


def test_run_due_writes_weekly_files(weekly_run: list[str], demo: Demo) -> None:
    folder = demo.root / "reports"
    assert sorted(path.name for path in folder.glob("*2025-W12*")) == [
        "weekly-2025-W12-ja.html",
        "weekly-2025-W12-ja.pdf",
        "weekly-2025-W12-ja.xlsx",
    ]
    assert len(weekly_run) == 3


def test_run_due_records_runs(weekly_run: list[str], demo: Demo) -> None:
    with demo.workspace.open_store(read_only=True) as store:
        rows = store.fetch_all(
            "SELECT cadence, period_id, language, format, trigger, generated_at "
            "FROM report_runs WHERE period_id = '2025-W12' ORDER BY format"
        )
        usage = store.scalar(
            "SELECT count(*) FROM usage_events WHERE kind = 'report_generated' "
            "AND json_extract_string(detail, '$.period') = '2025-W12'"
        )
    monday = datetime(2025, 3, 23, 23, 5)
    assert rows == [
        ("weekly", "2025-W12", "ja", name, "schedule", monday)
        for name in ("html", "pdf", "xlsx")
    ]
    assert usage == 3


def test_run_due_again_writes_nothing(weekly_run: list[str], demo: Demo) -> None:
    result = run_cli(
        "-w", demo.root, "schedule", "--run-due", "--now", "2025-03-24T09:00+09:00"
    )
    assert result.stdout.strip() == "期限の来たレポートパックはありません"


def test_weekly_xlsx_matches_kpi_json(weekly_run: list[str], demo: Demo) -> None:
    rows = kpi_rows(demo.root / "reports" / "weekly-2025-W12-ja.xlsx")
    results = json_results(run_json("-w", demo.root, "kpi", "--period", "2025-W12"))
    assert ("contact_rate", "target") in rows
    assert len(rows) == 14
    for key, row in rows.items():
        result = results[key]
        interval = result["ci95"] or [None, None]
        assert row["value"] == pytest.approx(result["value"]), key
        assert row["target"] == pytest.approx(result["target"]), key
        assert row["numerator"] == pytest.approx(result["numerator"]), key
        assert row["denominator"] == pytest.approx(result["denominator"]), key
        assert row["ci_low"] == pytest.approx(interval[0]), key
        assert row["ci_high"] == pytest.approx(interval[1]), key


def test_weekly_contact_rate_row(weekly_run: list[str], demo: Demo) -> None:
    row = kpi_rows(demo.root / "reports" / "weekly-2025-W12-ja.xlsx")[
        ("contact_rate", "target")
    ]
    assert row["label"] == "接点化率"
    assert row["target"] == 0.6
    assert row["denominator"] == 12


def test_weekly_xlsx_formats(weekly_run: list[str], demo: Demo) -> None:
    workbook = openpyxl.load_workbook(demo.root / "reports" / "weekly-2025-W12-ja.xlsx")
    sheet = workbook.worksheets[1]
    keys = [cell.value for cell in sheet["A"]]
    contact = keys.index("contact_rate") + 1
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(contact, 6).number_format == "0.0%"
    assert sheet.cell(1, 1).font.bold
    assert sheet.column_dimensions["C"].width > 10
    assert workbook.sheetnames[1] == "KPI一覧"


def test_weekly_pdf_page_not_blank(
    weekly_run: list[str], demo: Demo, tmp_path: Path
) -> None:
    pixels = page_pixels(demo.root / "reports" / "weekly-2025-W12-ja.pdf", 0)
    png = tmp_path / "page1.png"
    write_png(png, pixels)
    assert png.read_bytes().startswith(b"\x89PNG")
    assert pixels.shape[:2] == (842, 595)  # A4 at 72 dpi
    assert float(pixels.std()) > 10


def test_weekly_pdf_has_japanese_label(weekly_run: list[str], demo: Demo) -> None:
    text = pdf_text(demo.root / "reports" / "weekly-2025-W12-ja.pdf")
    assert "接点化率" in text
    assert "ABM週次レポート" in text


# The monthly pack, written by `abmkpi report` ---------------------------------


@pytest.fixture(scope="module")
def monthly_folder(demo: Demo, weekly_run: list[str]) -> Path:
    folder = demo.root / "monthly"
    run_cli(
        "-w",
        demo.root,
        "report",
        "monthly",
        "--period",
        "2025-03",
        "--lang",
        "en",
        "--format",
        "html",
        "--format",
        "xlsx",
        "--output",
        folder,
    )
    return folder


def test_report_writes_monthly_files(monthly_folder: Path) -> None:
    assert sorted(path.name for path in monthly_folder.iterdir()) == [
        "monthly-2025-03-en.html",
        "monthly-2025-03-en.xlsx",
    ]


def test_report_run_is_manual(monthly_folder: Path, demo: Demo) -> None:
    with demo.workspace.open_store(read_only=True) as store:
        rows = store.fetch_all(
            "SELECT cadence, period_id, language, trigger FROM report_runs "
            "WHERE cadence = 'monthly'"
        )
    assert rows == [("monthly", "2025-03", "en", "manual")] * 2


def test_monthly_xlsx_matches_kpi_json(monthly_folder: Path, demo: Demo) -> None:
    rows = kpi_rows(monthly_folder / "monthly-2025-03-en.xlsx")
    results = json_results(run_json("-w", demo.root, "kpi", "--period", "2025-03"))
    assert ("opportunity_rate:per_engaged_account", "target") in rows
    for key, row in rows.items():
        assert row["value"] == pytest.approx(results[key]["value"]), key
        assert row["status"] != "", key


def test_monthly_html_in_english(monthly_folder: Path) -> None:
    html = (monthly_folder / "monthly-2025-03-en.html").read_text(encoding="utf-8")
    assert "<title>Monthly ABM report · 2025-03 · ABM workspace</title>" in html
    assert "Opportunity rate: per engaged account" in html
    assert "Review meeting agenda" in html


# The quarterly pack, built in this process ------------------------------------


def value_cell(html: str, key: str) -> str:
    match = re.search(
        rf'<tr data-kpi="{re.escape(key)}">.*?<td class="num value">(.*?)</td>',
        html,
        re.S,
    )
    assert match is not None, key
    return match[1]


def test_quarterly_html_values_as_dashboard(
    quarterly: ReportPack, quarterly_files: dict[str, Path], demo: Demo
) -> None:
    calendar: Calendar = demo.workspace.calendar
    for language in ("ja", "en"):
        html = quarterly_files[f"html-{language}"].read_text(encoding="utf-8")
        fmt = Formatter(language, "JPY", calendar)
        for line in quarterly.lines:
            assert value_cell(html, line.key) == fmt.kpi(line.result), line.key


def test_quarterly_win_rate_of_targets(quarterly_files: dict[str, Path]) -> None:
    html = quarterly_files["html-ja"].read_text(encoding="utf-8")
    # 3 won of 8 closed new-business deals on target accounts.
    assert value_cell(html, "win_rate") == "37.5%"
    assert value_cell(html, "average_deal_size") == "￥759.7万"


def test_quarterly_html_is_self_contained(quarterly_files: dict[str, Path]) -> None:
    html = quarterly_files["html-en"].read_text(encoding="utf-8")
    assert "<svg" in html
    assert "<script" not in html
    assert not re.search(r'(src|href)="https?:', html)


def test_quarterly_sales_lines_first(quarterly: ReportPack) -> None:
    keys = [line.key for line in quarterly.lines]
    assert keys[:5] == [
        "win_rate",
        "win_rate_amount",
        "average_deal_size",
        "deal_size_uplift",
        "sales_cycle_days",
    ]
    # Customer-success KPIs follow when the workspace computes them.
    others = {key.split(":")[0] for key in keys[5:]}
    assert others <= {"ltv", "renewal_rate", "upsell_rate", "nps"}


def test_quarterly_trend_has_four_quarters(quarterly: ReportPack) -> None:
    assert [period.id for period in quarterly.periods] == [
        "FY2024-Q1",
        "FY2024-Q2",
        "FY2024-Q3",
        "FY2024-Q4",
    ]
    win_rate = quarterly.lines[0]
    assert win_rate.history[-1] == 0.375
    assert win_rate.change == pytest.approx(0.375 - win_rate.history[-2])


def test_uplift_reported_for_all_accounts(quarterly: ReportPack) -> None:
    uplift = next(line for line in quarterly.lines if line.key == "deal_size_uplift")
    assert uplift.result.segment == "all"
    assert uplift.result.target == 1.6


def test_open_actions_section(quarterly: ReportPack) -> None:
    section = quarterly.section("pdca_actions")
    assert section is not None
    assert [row["title"] for row in section.rows] == [
        "Invite to the user conference",
        "Call the CFO",
    ]
    assert [row["overdue"] for row in section.rows] == [True, False]


def test_open_action_dates_are_local(quarterly: ReportPack) -> None:
    section = quarterly.section("pdca_actions")
    assert section is not None
    # Logged at 15:30 UTC on 28 February: 00:30 on 1 March in Tokyo.
    assert section.rows[0]["created_at"] == date(2025, 3, 1)
    assert section.rows[1]["created_at"] == date(2025, 3, 2)


def test_open_action_labels(quarterly: ReportPack) -> None:
    section = quarterly.section("pdca_actions")
    assert section is not None
    assert section.rows[0]["rule"] == {"en": "No engagement", "ja": "接点なし"}
    assert section.rows[1]["rule"] is None


def test_agenda_lists_overdue_actions(quarterly_files: dict[str, Path]) -> None:
    html = quarterly_files["html-ja"].read_text(encoding="utf-8")
    assert "期限切れのPDCAアクション1件：担当者から報告" in html
    assert "契約更新・アップセル・NPS・LTV" in html


def test_quarterly_pdf_pages(quarterly_files: dict[str, Path]) -> None:
    document = pypdfium2.PdfDocument(quarterly_files["pdf-ja"])
    pages = len(document)
    width, height = document[0].get_size()
    document.close()
    # KPIs, trend, funnel, four account sections and the agenda each
    # start a page.
    assert pages >= 8
    assert (round(width), round(height)) == (595, 842)


def test_quarterly_pdf_in_english(quarterly_files: dict[str, Path]) -> None:
    text = pdf_text(quarterly_files["pdf-en"])
    assert "Quarterly ABM report" in text
    assert "Win rate (count)" in text


def test_quarterly_xlsx_sheets(quarterly_files: dict[str, Path]) -> None:
    workbook = openpyxl.load_workbook(quarterly_files["xlsx-en"])
    assert workbook.sheetnames == [
        "Summary",
        "KPIs",
        "Trend",
        "Journey",
        "Hot accounts",
        "Low performers",
        "Patterns to reuse",
        "Open PDCA actions",
        "Review meeting agenda",
    ]
    actions = workbook["Open PDCA actions"]
    assert actions.max_row == 3
    assert actions.cell(2, 5).value == datetime(2025, 3, 10)


def test_quarterly_xlsx_currency_format(quarterly_files: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(quarterly_files["xlsx-ja"]).worksheets[1]
    keys = [cell.value for cell in sheet["A"]]
    row = keys.index("average_deal_size") + 1
    assert sheet.cell(row, 6).number_format == '"￥"#,##0'
    assert sheet.cell(row, 6).value == pytest.approx(7_597_290.490, abs=0.01)


# The scheduler inside the server ------------------------------------------------


def test_scheduler_tick_writes_next_week(
    demo: Demo,
    weekly_run: list[str],
    monthly_folder: Path,
    listing_after_run: dict[str, Any],
) -> None:
    settings = demo.workspace.settings
    reports = replace_reports(settings, formats=["html"], languages=["en"])
    workspace = Workspace(demo.root, reports)
    monday = datetime(2025, 3, 30, 23, 0, 30)  # 2025-03-31 08:00:30 in Tokyo
    with workspace.open_store() as store:
        access = single_store(store)
        scheduler = ReportScheduler(workspace, access, access, clock=lambda: monday)
        written = scheduler.tick()
        again = scheduler.tick()
        row = store.fetch_one(
            "SELECT period_id, language, format, trigger FROM report_runs "
            "WHERE period_id = '2025-W13'"
        )
    assert [item.path.name for item in written] == ["weekly-2025-W13-en.html"]
    assert again == []
    assert row == ("2025-W13", "en", "html", str(Trigger.SCHEDULE))


def replace_reports(settings: Any, **changes: Any) -> Any:
    return settings.model_copy(
        update={"reports": settings.reports.model_copy(update=changes)}
    )


def test_report_rejects_unknown_format(demo: Demo) -> None:
    result = run_cli(
        "-w",
        demo.root,
        "--lang",
        "en",
        "report",
        "weekly",
        "--format",
        "docx",
        check=False,
    )
    assert result.returncode == 2
    assert "'docx' is not a report format" in result.stderr


def test_account_names_escaped(
    quarterly: ReportPack, demo: Demo, tmp_path: Path
) -> None:
    hostile = "<script>alert(1)</script>"
    section = quarterly.section("hot_accounts")
    assert section is not None
    rows = [{**section.rows[0], "name": hostile}, *section.rows[1:]]
    sections = [
        replace(s, rows=rows) if s.id == "hot_accounts" else s
        for s in quarterly.sections
    ]
    pack = replace(quarterly, sections=sections)
    html = render_html(pack, demo.workspace.calendar, "en")
    assert hostile not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # table and chart


def test_xlsx_formula_text_stays_text(
    quarterly: ReportPack, demo: Demo, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://example.com","x")'
    section = quarterly.section("hot_accounts")
    assert section is not None
    rows = [{**section.rows[0], "name": formula}, *section.rows[1:]]
    sections = [
        replace(s, rows=rows) if s.id == "hot_accounts" else s
        for s in quarterly.sections
    ]
    path = tmp_path / "pack.xlsx"
    write_xlsx(
        replace(quarterly, sections=sections), demo.workspace.calendar, "en", path
    )
    cell = openpyxl.load_workbook(path)["Hot accounts"]["A2"]
    assert cell.value == formula
    assert cell.data_type == "s"


def test_xlsx_out_of_range_due_dates_as_text(
    quarterly: ReportPack, demo: Demo, tmp_path: Path
) -> None:
    # Due dates stored before the input checks existed: Excel has no serial
    # number for a date before 1900, so these cells are ISO text.
    section = quarterly.section("pdca_actions")
    assert section is not None
    first, second = section.rows
    rows = [{**first, "due_date": date(1, 1, 1)}, {**second, "due_date": END}]
    sections = [
        replace(s, rows=rows) if s.id == "pdca_actions" else s
        for s in quarterly.sections
    ]
    path = tmp_path / "pack.xlsx"
    write_xlsx(
        replace(quarterly, sections=sections), demo.workspace.calendar, "en", path
    )
    sheet = openpyxl.load_workbook(path)["Open PDCA actions"]
    assert sheet["E2"].value == "0001-01-01"
    assert sheet["E2"].data_type == "s"
    assert sheet["E3"].value == datetime(2025, 3, 31)
    assert sheet["E3"].number_format == "yyyy-mm-dd"


def test_print_crontab_command(demo: Demo) -> None:
    lines = run_cli("-w", demo.root, "schedule", "--print-crontab").stdout.splitlines()
    assert lines[0] == f"# abmkpi report packs of {demo.root} (ABM workspace)"
    assert lines[1] == "CRON_TZ=Asia/Tokyo"
    assert lines[2].startswith("0 8 * * 1 ")
    assert lines[2].endswith(
        f"-m abmkpi -w {demo.root} report weekly --lang ja --scheduled "
        "--format html --format xlsx --format pdf"
    )
    assert len(lines) == 5


def test_schedule_listing_after_run(listing_after_run: dict[str, Any]) -> None:
    weekly = listing_after_run["schedule"][0]
    assert weekly == {
        "cadence": "weekly",
        "cron": "0 8 * * 1",
        "time_zone": "Asia/Tokyo",
        "next_run": "2025-03-31T08:00:00+09:00",
        "last_run": "2025-03-23T23:05:00+00:00",
        "due": False,
    }


def low_and_patterns(demo: Demo) -> tuple[list[LowPerformer], PatternReport]:
    workspace = demo.workspace
    period = workspace.calendar.parse("FY2024-Q4")
    with workspace.open_store(read_only=True) as store:
        low = low_performers(store, workspace.settings, period)
        report = pattern_report(
            store, workspace.settings, period, scope=PatternScope.ALL
        )
    return low, report


def test_low_performer_rows_match_checks(quarterly: ReportPack, demo: Demo) -> None:
    section = quarterly.section("low_performers")
    assert section is not None
    low, _ = low_and_patterns(demo)
    assert [(row["account_id"], row["rule"]) for row in section.rows] == [
        (entry.account_id, str(entry.rule)) for entry in low
    ]


def test_low_performer_count(quarterly: ReportPack) -> None:
    # Five stalled deals on two accounts, eight accounts engaged for over
    # 60 days without a new opportunity, and one more stalled deal.
    section = quarterly.section("low_performers")
    assert section is not None
    assert len(section.rows) == 14


def test_low_performer_first_row(quarterly: ReportPack) -> None:
    section = quarterly.section("low_performers")
    assert section is not None
    row = section.rows[0]
    assert (row["name"], row["tier"], row["rule"]) == (
        "Harbor Industries Japan K.K.",
        1,
        "stalled_deal",
    )
    assert row["suggestion"]["en"] == (
        "Set a next-step meeting with the buying group to move the deal on."
    )


def test_low_performer_open_action(quarterly: ReportPack) -> None:
    # 'Call the CFO' has no rule, so it covers both rule breaks of its account.
    section = quarterly.section("low_performers")
    assert section is not None
    actions = {(row["account_id"], row["rule"]): row["action"] for row in section.rows}
    assert [key for key, title in actions.items() if title] == [
        ("demo:acc3", "engaged_without_opportunity"),
        ("demo:acc3", "stalled_deal"),
    ]


def test_patterns_compare_all_accounts(quarterly: ReportPack) -> None:
    # Twelve target accounts are fewer than 30, so all accounts are compared.
    section = quarterly.section("patterns")
    assert section is not None
    assert {row["scope"]["en"] for row in section.rows} == {"All accounts"}


def test_pattern_rows_match_report(quarterly: ReportPack, demo: Demo) -> None:
    section = quarterly.section("patterns")
    assert section is not None
    _, report = low_and_patterns(demo)
    assert [(row["kind"]["en"], row["key"]) for row in section.rows] == [
        (pattern.kind.value.replace("_", " ").capitalize(), pattern.key)
        for pattern in report.patterns[:20]
    ]


def test_pattern_top_row(quarterly: ReportPack) -> None:
    # 6 of 11 accounts with the asset reached an opportunity, 13 of 289
    # without: lift (6/11) / (13/289) = 12.13.
    section = quarterly.section("patterns")
    assert section is not None
    row = section.rows[0]
    counts = [row[key] for key in ("reached_with", "accounts_with")]
    counts += [row[key] for key in ("reached_without", "accounts_without")]
    assert (row["key"], counts) == ("初回ヒアリング", [6, 11, 13, 289])
    assert row["lift"] == pytest.approx(12.126, abs=0.001)


def test_weak_patterns_marked(quarterly: ReportPack) -> None:
    section = quarterly.section("patterns")
    assert section is not None
    weak = [
        row["key"] for row in section.rows if row["evidence"]["en"] == "Weak evidence"
    ]
    assert weak[:2] == ["製品デモ", "調査レポート: BtoBマーケティング実態調査2024"]


def test_agenda_counts_low_performers(quarterly_files: dict[str, Path]) -> None:
    html = quarterly_files["html-ja"].read_text(encoding="utf-8")
    assert "実施中のPDCAアクションがない要対策アカウント12件" in html


def test_low_performers_html_in_english(quarterly_files: dict[str, Path]) -> None:
    html = quarterly_files["html-en"].read_text(encoding="utf-8")
    assert "has been in Proposal for 242 days, 13.0× the median stay" in html


def test_low_performers_xlsx_row(quarterly_files: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(quarterly_files["xlsx-ja"])["要対策アカウント"]
    assert [sheet.cell(2, column).value for column in (1, 2, 4)] == [
        "Harbor Industries Japan K.K.",
        1,
        "停滞商談",
    ]


def test_patterns_xlsx_lift(quarterly_files: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(quarterly_files["xlsx-en"])["Patterns to reuse"]
    assert sheet.cell(2, 8).value == pytest.approx(12.126, abs=0.001)
    assert sheet.cell(2, 8).number_format == '0.00"×"'


def test_patterns_in_pdf(quarterly_files: dict[str, Path]) -> None:
    text = pdf_text(quarterly_files["pdf-en"])
    # The top pattern's interval, 5.69× to 25.85×, and both p-values fit the
    # A4 width: p (Holm) first, then p (raw).
    assert "p\r\n(Holm)\r\np\r\n(raw)" in text
    assert "12.13× 5.69× 25.85× 0.0011 1.1e-05" in text


def test_pattern_top_row_holm(quarterly: ReportPack, demo: Demo) -> None:
    section = quarterly.section("patterns")
    assert section is not None
    row = section.rows[0]
    _, report = low_and_patterns(demo)
    assets = sum(1 for pattern in report.patterns if pattern.kind == "asset")
    # The smallest p-value of its kind: Holm multiplies it by the number of
    # assets tested.
    assert row["p_adjusted"] == pytest.approx(row["p_value"] * assets)
    assert (round(row["p_value"], 7), assets) == (1.07e-05, 102)


def test_default_workspace_name_translated(quarterly_files: dict[str, Path]) -> None:
    japanese = quarterly_files["html-ja"].read_text(encoding="utf-8")
    english = quarterly_files["html-en"].read_text(encoding="utf-8")
    assert '<p class="meta">ABM ワークスペース · ' in japanese
    assert '<p class="meta">ABM workspace · ' in english
    summary = openpyxl.load_workbook(quarterly_files["xlsx-ja"]).worksheets[0]
    values = [cell.value for row in summary.iter_rows() for cell in row]
    assert "ABM ワークスペース" in values
