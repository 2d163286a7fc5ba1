"""Salesforce report exports: label headers, report values, footers, record IDs.

The acceptance tests write the same records twice and import each into its
own workspace: as a Data Export with API names, and as a Japanese report
export in cp932. The report has labels, JPY amounts, 10% probabilities,
2024/05/31 dates, a multi-line description and the footer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from abmkpi import targets
from abmkpi.errors import InputError
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.sources.salesforce.report_values import split_currency
from abmkpi.workspace import Workspace
from tests.salesforce_support import by_file, query, run_import, scalar, write

AS_OF = datetime(2024, 6, 30, 14, 59)  # 2024-06-30 23:59 JST

FOOTER_JA = [
    "",
    "商談パイプライン",
    "Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.",
    "機密情報 - 配布禁止",
    "作成者:  山田 太郎  2024/06/30 18:00",
    "株式会社サンプル",
]


@dataclass(frozen=True)
class Deal:
    id: str
    account: str
    name: str
    stage: str
    closed: bool
    won: bool
    amount: int
    probability: int
    close_date: date
    created_utc: datetime
    created_jst: str


ACCOUNTS = [
    ("001J10000000001AAA", "株式会社東テック", "情報通信", 1200, "東京都"),
    ("001J10000000002AAA", "西日本商事株式会社", "卸売", 800, "大阪府"),
    ("001J10000000003AAA", "北海物産株式会社", "食品", 150, "北海道"),
]
TARGETS = ["001J10000000001AAA", "001J10000000002AAA"]

DEALS = [
    Deal(
        "006J10000000001AAA",
        "001J10000000001AAA",
        "東テック 基幹刷新",
        "受注",
        True,
        True,
        1_200_000,
        100,
        date(2024, 5, 31),
        datetime(2024, 4, 2, 1, 0),
        "2024/04/02 10:00",
    ),
    Deal(
        "006J10000000002AAA",
        "001J10000000001AAA",
        "東テック 追加ライセンス",
        "失注",
        True,
        False,
        800_000,
        0,
        date(2024, 6, 10),
        datetime(2024, 4, 15, 0, 30),
        "2024/04/15 9:30",
    ),
    Deal(
        "006J10000000003AAA",
        "001J10000000002AAA",
        "西日本商事 導入",
        "受注",
        True,
        True,
        3_000_000,
        100,
        date(2024, 6, 28),
        datetime(2024, 4, 19, 15, 0),
        "2024/04/20 0:00",
    ),
    Deal(
        "006J10000000004AAA",
        "001J10000000003AAA",
        "北海物産 PoC",
        "受注",
        True,
        True,
        500_000,
        100,
        date(2024, 5, 15),
        datetime(2024, 4, 5, 2, 0),
        "2024/04/05 11:00",
    ),
    Deal(
        "006J10000000005AAA",
        "001J10000000003AAA",
        "北海物産 本導入",
        "失注",
        True,
        False,
        700_000,
        0,
        date(2024, 6, 1),
        datetime(2024, 5, 1, 6, 0),
        "2024/05/01 15:00",
    ),
    Deal(
        "006J10000000006AAA",
        "001J10000000002AAA",
        "西日本商事 拡張",
        "提案",
        False,
        False,
        2_000_000,
        50,
        date(2024, 8, 31),
        datetime(2024, 5, 10, 4, 0),
        "2024/05/10 13:00",
    ),
    Deal(
        "006J10000000007AAA",
        "001J10000000003AAA",
        "北海物産 次期",
        "交渉",
        False,
        False,
        900_000,
        75,
        date(2024, 9, 30),
        datetime(2024, 6, 1, 0, 0),
        "2024/06/01 9:00",
    ),
]

DESCRIPTION = "要件:\r\n- 基幹システム刷新, 3 拠点\r\n- 2024 年度内に稼働"


def _csv(rows: list[list[str]], quote_all: bool = True) -> str:
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, quoting=quoting, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _footer(lines: list[str]) -> str:
    return "".join(f'"{line}"\r\n' if line else "\r\n" for line in lines)


def _api_files(folder: Path) -> list[Path]:
    folder.mkdir()
    accounts = [["Id", "Name", "Industry", "NumberOfEmployees", "BillingState"]]
    accounts += [[a, n, i, str(e), s] for a, n, i, e, s in ACCOUNTS]
    opportunities = [
        [
            "Id",
            "AccountId",
            "Name",
            "StageName",
            "Amount",
            "CurrencyIsoCode",
            "Probability",
            "CloseDate",
            "CreatedDate",
            "IsClosed",
            "IsWon",
            "Type",
            "LeadSource",
            "Description",
        ]
    ]
    for deal in DEALS:
        opportunities.append(
            [
                deal.id,
                deal.account,
                deal.name,
                deal.stage,
                str(deal.amount),
                "JPY",
                str(deal.probability),
                deal.close_date.isoformat(),
                deal.created_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                str(deal.closed).lower(),
                str(deal.won).lower(),
                "新規",
                "Web",
                DESCRIPTION,
            ]
        )
    return [
        write(folder / "Account.csv", _csv(accounts, quote_all=False)),
        write(folder / "Opportunity.csv", _csv(opportunities, quote_all=False)),
    ]


def _report_files(folder: Path) -> list[Path]:
    folder.mkdir()
    accounts = [["取引先名", "取引先 ID", "業種", "従業員数", "請求先都道府県"]]
    accounts += [[n, a, i, f"{e:,}", s] for a, n, i, e, s in ACCOUNTS]
    names = dict((account[0], account[1]) for account in ACCOUNTS)
    opportunities = [
        [
            "所有者",
            "取引先名",
            "取引先 ID",
            "商談名",
            "商談 ID",
            "フェーズ",
            "金額",
            "確度 (%)",
            "完了予定日",
            "作成日",
            "完了",
            "成立",
            "種別",
            "リードソース",
            "説明",
        ]
    ]
    for deal in DEALS:
        opportunities.append(
            [
                "山田 太郎",
                names[deal.account],
                deal.account,
                deal.name,
                deal.id,
                deal.stage,
                f"JPY {deal.amount:,}",
                f"{deal.probability}%",
                deal.close_date.strftime("%Y/%m/%d"),
                deal.created_jst,
                "1" if deal.closed else "0",
                "1" if deal.won else "0",
                "新規",
                "Web",
                DESCRIPTION,
            ]
        )
    account_text = _csv(accounts) + _footer(FOOTER_JA)
    opportunity_text = _csv(opportunities) + _footer(FOOTER_JA)
    return [
        write(folder / "report1719738000001.csv", account_text, encoding="cp932"),
        write(folder / "report1719738000002.csv", opportunity_text, encoding="cp932"),
    ]


def _with_targets(workspace: Workspace, tmp_path: Path) -> Workspace:
    target_file = write(tmp_path / "targets.csv", "id\n" + "\n".join(TARGETS) + "\n")
    with workspace.open_store() as store:
        report = targets.set_list(
            store, workspace.settings, targets.read_target_file(target_file)
        )
    assert not report.unresolved
    return workspace


@pytest.fixture
def api_workspace(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> Workspace:
    workspace = make_workspace()
    run_import(workspace, *_api_files(tmp_path / "api"))
    return _with_targets(workspace, tmp_path)


@pytest.fixture
def report_workspace(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> Workspace:
    workspace = make_workspace()
    run_import(workspace, *_report_files(tmp_path / "report"))
    return _with_targets(workspace, tmp_path)


def _kpis(workspace: Workspace) -> KpiReport:
    with workspace.open_store() as store:
        return compute_kpis(
            store,
            workspace.settings,
            workspace.calendar.parse("FY2024-Q1"),
            ["all", "target", "non_target"],
            AS_OF,
        )


_OPPORTUNITY_COLUMNS = (
    "id, source_account_id, name, stage, amount, currency, probability, "
    "close_date, created_at, is_closed, is_won, raw_type, lead_source"
)


# Acceptance: the same records as a Data Export and a Japanese report ----------


def test_report_rows_read(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    summary = run_import(make_workspace(), *_report_files(tmp_path / "report"))
    files = by_file(summary)
    accounts = files["report1719738000001.csv"]
    opportunities = files["report1719738000002.csv"]
    assert accounts.object == "Account"
    assert accounts.encoding == "cp932"
    assert accounts.rows_read == 3
    assert accounts.loaded == 3
    assert opportunities.object == "Opportunity"
    assert opportunities.rows_read == 7
    assert opportunities.loaded == 7
    assert opportunities.rejected == 0
    assert opportunities.skipped_total == 0


def test_report_notes(make_workspace: Callable[..., Workspace], tmp_path: Path) -> None:
    summary = run_import(make_workspace(), *_report_files(tmp_path / "report"))
    notes = by_file(summary)["report1719738000002.csv"].notes
    assert "dropped a report footer of 5 lines" in notes
    assert "report export with Japanese column labels" in notes
    assert "columns not read: 取引先名, 説明" in notes
    assert "report export: times without an offset are read in Asia/Tokyo" in notes


def test_report_matches_export_records(
    api_workspace: Workspace, report_workspace: Workspace
) -> None:
    sql = f"SELECT {_OPPORTUNITY_COLUMNS} FROM opportunities ORDER BY id"
    from_report = query(report_workspace, sql)
    assert len(from_report) == 7
    assert from_report == query(api_workspace, sql)
    accounts = "SELECT id, name, industry, employees, state FROM accounts ORDER BY id"
    assert query(report_workspace, accounts) == query(api_workspace, accounts)


def test_report_values_parsed(report_workspace: Workspace) -> None:
    row = query(
        report_workspace,
        f"SELECT {_OPPORTUNITY_COLUMNS}, owner FROM opportunities "
        "WHERE id = 'salesforce:006J10000000003AAA'",
    )[0]
    assert row[1] == "salesforce:001J10000000002AAA"
    assert row[4] == 3_000_000
    assert row[5] == "JPY"
    assert row[6] == 100
    assert row[7] == date(2024, 6, 28)
    # 2024/04/20 0:00 in Tokyo, the exporting user's zone.
    assert row[8] == datetime(2024, 4, 19, 15, 0)
    assert row[9] is True
    assert row[10] is True
    assert row[13] == "山田 太郎"


@pytest.mark.parametrize("segment", ["all", "target", "non_target"])
def test_report_kpis_match_export(
    api_workspace: Workspace, report_workspace: Workspace, segment: str
) -> None:
    from_api = _kpis(api_workspace)
    from_report = _kpis(report_workspace)
    for kpi in ("win_rate", "average_deal_size", "pipeline_open"):
        expected = from_api.find(kpi, segment)
        actual = from_report.find(kpi, segment)
        assert actual.value == expected.value, kpi
        assert actual.numerator == expected.numerator, kpi
        assert actual.denominator == expected.denominator, kpi


def test_report_kpi_values(report_workspace: Workspace) -> None:
    report = _kpis(report_workspace)
    # Won 1, 3, 4 and lost 2, 5; deals 6 and 7 are open.
    assert report.find("win_rate").numerator == 3
    assert report.find("win_rate").denominator == 5
    assert report.find("average_deal_size").numerator == 4_700_000
    assert report.find("average_deal_size").value == pytest.approx(4_700_000 / 3)
    assert report.find("pipeline_open").value == 2_900_000
    # Targets: accounts 1 and 2.
    assert report.find("win_rate", "target").value == pytest.approx(2 / 3)
    assert report.find("average_deal_size", "target").value == 2_100_000
    assert report.find("pipeline_open", "target").value == 2_000_000
    assert report.find("win_rate", "non_target").value == pytest.approx(1 / 2)
    assert report.find("average_deal_size", "non_target").value == 500_000
    assert report.find("pipeline_open", "non_target").value == 900_000
    assert report.find("deal_size_uplift").value == pytest.approx(4.2)


def test_report_reimport_unchanged(
    make_workspace: Callable[..., Workspace], tmp_path: Path
) -> None:
    workspace = make_workspace()
    files = _report_files(tmp_path / "report")
    first = run_import(workspace, *files)
    second = run_import(workspace, *files)
    assert second.total("loaded") == 0
    assert second.total("updated") == 0
    assert second.total("unchanged") == first.total("loaded")


def test_report_updates_export_records(
    api_workspace: Workspace, tmp_path: Path
) -> None:
    # The report carries the same record IDs, so it updates, never duplicates.
    summary = run_import(api_workspace, *_report_files(tmp_path / "report"))
    assert summary.total("loaded") == 0
    assert scalar(api_workspace, "SELECT count(*) FROM opportunities") == 7


# Report shapes and values -------------------------------------------------------

_EN_HEADER = (
    '"Opportunity Owner","Account Name","Account ID","Opportunity Name",'
    '"Opportunity ID","Stage","Amount","Probability (%)","Close Date",'
    '"Created Date","Closed","Won"\r\n'
)


def _en_row(
    deal_id: str, amount: str, close: str = "5/31/2024", created: str = ""
) -> str:
    created = created or "4/2/2024, 10:00 AM"
    values = [
        "Taro Yamada",
        "East Tech",
        "001J10000000001AAA",
        "Core renewal",
        deal_id,
        "Closed Won",
        amount,
        "100%",
        close,
        created,
        "TRUE",
        "TRUE",
    ]
    return ",".join(f'"{value}"' for value in values) + "\r\n"


_EN_FOOTER = (
    '\r\n"Opportunity Pipeline"\r\n'
    '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\r\n'
    '"Confidential Information - Do Not Distribute"\r\n'
    '"Generated By:  Taro Yamada  6/30/2024, 6:00 PM"\r\n'
    '"Acme, Inc."\r\n'
)


def test_english_report_values(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        _EN_HEADER
        + _en_row("006J10000000011AAA", "USD 12,500.50")
        + _en_row("006J10000000012AAA", "¥1,200,000", close="6/13/2024")
        + _EN_FOOTER
    )
    path = write(tmp_path / "report1719738000003.csv", text)
    summary = run_import(workspace, path)
    assert summary.files[0].object == "Opportunity"
    assert summary.files[0].loaded == 2
    rows = query(
        workspace,
        "SELECT source_id, amount, currency, close_date, created_at, probability "
        "FROM opportunities ORDER BY id",
    )
    # 4/2/2024, 10:00 AM in Tokyo.
    created = datetime(2024, 4, 2, 1, 0)
    assert rows[0] == (
        "006J10000000011AAA",
        12_500.5,
        "USD",
        date(2024, 5, 31),
        created,
        100,
    )
    # A currency sign sets the amount only.
    assert rows[1] == (
        "006J10000000012AAA",
        1_200_000,
        None,
        date(2024, 6, 13),
        created,
        100,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JPY 1,200,000", ("1,200,000", "JPY")),
        ("1,200,000 JPY", ("1,200,000", "JPY")),
        ("USD12.50", ("12.50", "USD")),
        ("ＪＰＹ　１，０００", ("1,000", "JPY")),
        ("¥1,200,000", ("¥1,200,000", None)),
        ("JPY abc", ("JPY abc", None)),
    ],
)
def test_split_currency(text: str, expected: tuple[str, str | None]) -> None:
    assert split_currency(text) == expected


def test_report_without_id_fails(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        '"商談名","フェーズ","金額","完了予定日"\r\n'
        '"A 案件","受注","100","2024/05/31"\r\n'
    )
    path = write(tmp_path / "report1719738000004.csv", text, encoding="cp932")
    with pytest.raises(InputError) as raised:
        run_import(workspace, path)
    problem = raised.value.problems[0]
    assert problem.file == path
    assert problem.line == 1
    assert problem.column == "商談 ID / Opportunity ID"
    assert "no record ID column" in problem.reason
    assert "add the column 商談 ID to the report" in str(raised.value)
    assert scalar(workspace, "SELECT count(*) FROM opportunities") == 0


def test_report_total_rows_skipped(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        '"取引先名","取引先 ID","従業員数"\r\n'
        '"株式会社東テック","001J10000000001AAA","1,200"\r\n'
        '"総計 (1 レコード)","","1,200"\r\n'
    )
    path = write(tmp_path / "report1719738000005.csv", text)
    report = run_import(workspace, path).files[0]
    assert report.rows_read == 2
    assert report.loaded == 1
    assert report.skipped == {"total row of a summary report": 1}


def test_account_names_without_ids_noted(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        '"商談 ID","商談名","取引先名","フェーズ","完了","成立"\r\n'
        '"006J10000000021AAA","A 案件","株式会社東テック","受注","1","1"\r\n'
    )
    path = write(tmp_path / "report1719738000006.csv", text)
    report = run_import(workspace, path).files[0]
    assert report.loaded == 1
    assert (
        "column 取引先名 gives account names only, so these records are not "
        "linked to accounts; add the column 取引先 ID to the report to link them"
    ) in report.notes
    linked = "SELECT count(source_account_id) FROM opportunities"
    assert scalar(workspace, linked) == 0


def test_currency_conflict_rejected(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        '"商談 ID","商談名","金額","通貨"\r\n'
        '"006J10000000031AAA","A","JPY 1,000","JPY"\r\n'
        '"006J10000000032AAA","B","USD 1,000","JPY"\r\n'
    )
    path = write(tmp_path / "report1719738000007.csv", text)
    summary = run_import(workspace, path, max_rejects=1)
    report = summary.files[0]
    assert report.loaded == 1
    assert report.rejected == 1
    rejects = summary.reject_file.read_text(encoding="utf-8-sig")  # type: ignore[union-attr]
    assert "金額,USD" in rejects
    assert "differs from JPY in column 通貨" in rejects


def test_tasks_and_events_report(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        '"活動 ID","件名","ToDo","状況","日付","開始日時","取引先 ID"\r\n'
        '"00TJ10000000001AAA","電話: 要件確認","1","完了","2024/05/01","",'
        '"001J10000000001AAA"\r\n'
        '"00TJ10000000002AAA","資料送付","1","未着手","2024/05/02","",'
        '"001J10000000001AAA"\r\n'
        '"00UJ10000000001AAA","訪問","0","","2024/05/03","2024/05/03 14:00",'
        '"001J10000000001AAA"\r\n'
    )
    path = write(tmp_path / "report1719738000008.csv", text, encoding="cp932")
    report = run_import(workspace, path).files[0]
    assert report.object == "Task and Event"
    assert report.loaded == 2
    assert report.skipped == {"open task": 1}
    rows = query(
        workspace,
        "SELECT source_id, type, occurred_at, source_account_id FROM activities "
        "ORDER BY source_id",
    )
    assert rows == [
        (
            "00TJ10000000001AAA",
            "sales_call",
            datetime(2024, 4, 30, 15, 0),
            "salesforce:001J10000000001AAA",
        ),
        (
            "00UJ10000000001AAA",
            "sales_meeting",
            datetime(2024, 5, 3, 5, 0),
            "salesforce:001J10000000001AAA",
        ),
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"取引先責任者 ID","氏名","メール","役職","取引先 ID"', "Contact"),
        ('"リード ID","氏名","会社名","状況","都道府県"', "Lead"),
        ('"キャンペーン ID","キャンペーン名","種別","開始日"', "Campaign"),
        ('"契約 ID","取引先 ID","契約開始日","契約期間 (月)"', "Contract"),
        ('"Contact ID","Full Name","Email","Account ID"', "Contact"),
        ('"Lead ID","Company / Account","Lead Status"', "Lead"),
    ],
)
def test_report_object_identified(
    workspace: Workspace, tmp_path: Path, header: str, expected: str
) -> None:
    path = write(tmp_path / "report1719738000009.csv", header + "\r\n")
    summary = run_import(workspace, path)
    assert summary.files[0].object == expected


def test_lead_report_values(workspace: Workspace, tmp_path: Path) -> None:
    text = (
        '"リード ID","氏名","会社名","メール","役職","状況","都道府県",'
        '"Web サイト","取引開始済み"\r\n'
        '"00QJ10000000001AAA","佐藤 花子","株式会社ミナミ","Hanako@Minami.example",'
        '"情報システム部長","未対応","福岡県","https://minami.example","0"\r\n'
    )
    path = write(tmp_path / "report1719738000010.csv", text, encoding="cp932")
    run_import(workspace, path)
    row = query(
        workspace,
        "SELECT kind, name, company_name, email, title, lead_status, state, "
        "website, is_converted FROM people",
    )[0]
    assert row == (
        "lead",
        "佐藤 花子",
        "株式会社ミナミ",
        "hanako@minami.example",
        "情報システム部長",
        "未対応",
        "福岡県",
        "https://minami.example",
        False,
    )


def test_api_names_stay_export_shape(workspace: Workspace, tmp_path: Path) -> None:
    # A header of API names is no report, even with a label-like extra column.
    text = "Id,Name,Account ID\n001J10000000009AAA,Ninth,x\n"
    path = write(tmp_path / "Account.csv", text)
    report = run_import(workspace, path).files[0]
    assert report.loaded == 1
    assert not any("report export" in note for note in report.notes)
