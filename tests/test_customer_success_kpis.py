"""Customer-success KPIs on a small imported book, against hand-computed values.

Period FY2024-Q1 is 2024-04-01..2024-06-30 (April fiscal year, Asia/Tokyo),
computed as of NOW, ten days after it ended, with the default 30 grace days:
a contract that ended before 2024-06-10 without renewal has lapsed.

Contracts (ARR in JPY, the reporting currency):

| contract | account  | end        | ARR       | outcome at NOW                        |
|----------|----------|------------|-----------|---------------------------------------|
| C-1      | Acme     | 2024-04-30 | 1,000,000 | renewed 2024-03-20, before the period |
|          |          |            |           | (renewal contract C-1R, 1,100,000)    |
| C-2      | Globex   | 2024-05-31 | 500,000   | lapsed: no renewal, past the grace    |
| C-3      | Initech  | 2024-06-30 | 800,000   | pending: ended, still in the grace    |
| C-4      | Umbrella | 2024-06-15 | 400,000   | renewed 2024-06-10 by R-4 (360,000)   |
| C-6      | Globex   | 2024-04-15 | 200,000   | churned: status Cancelled             |
| C-5      | Hooli    | 2024-07-31 | 300,000   | due in Q2, renewed 2024-06-20 (Q1)    |

Renewal rate Q1 = 2 / 5; GRR = (1,000,000 + 360,000) / 2,900,000; NRR =
(1,100,000 + 360,000) / 2,900,000. Q2's cohort is C-5 alone, renewed.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from abmkpi.config_template import default_config_text
from abmkpi.metrics.compute import KpiReport, compute_kpis
from abmkpi.metrics.registry import DEFINITIONS
from abmkpi.metrics.results import KpiResult
from abmkpi.sources.base import ImportOptions
from abmkpi.sources.loader import ImportSummary, load_batch
from abmkpi.sources.registry import get_importer
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json

REPO_ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = REPO_ROOT / "examples" / "mappings"
README = REPO_ROOT / "README.md"
CUSTOMER_SUCCESS = [
    "renewal_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "upsell_rate",
    "nps",
    "ltv",
]
NOW = datetime(2024, 7, 10, 3, 0)
ACME = "001C100000000001AA"
GLOBEX = "001C100000000002AA"
INITECH = "001C100000000003AA"
UMBRELLA = "001C100000000004AA"
HOOLI = "001C100000000005AA"

OPPORTUNITY_HEADER = "Id,AccountId,Name,Type,StageName,Amount,CloseDate,IsClosed,IsWon"
OPPORTUNITIES = [
    f"006N1,{ACME},Acme new,New Customer,Closed Won,1000000,2023-04-20,1,1",
    f"006R1,{ACME},Acme renewal,Renewal,Closed Won,1100000,2024-03-20,1,1",
    f"006E1,{ACME},Acme upsell,Existing Customer - Upgrade,Closed Won,150000,"
    "2024-05-15,1,1",
    f"006N6,{GLOBEX},Globex new,New Customer,Closed Lost,200000,2024-06-05,1,0",
    f"006E3,{GLOBEX},Globex upsell,Upsell,Closed Won,90000,2024-07-05,1,1",
    f"006N3,{INITECH},Initech new,New Customer,Closed Won,500000,2024-05-10,1,1",
    f"006E2,{INITECH},Initech upsell,Upsell,Closed Lost,70000,2024-06-01,1,0",
    f"006N4,{UMBRELLA},Umbrella new,New Customer,Closed Won,400000,2023-06-01,1,1",
    f"006R4,{UMBRELLA},Umbrella renewal,Renewal,Closed Won,360000,2024-06-10,1,1",
    f"006R5,{HOOLI},Hooli renewal,Renewal,Closed Won,300000,2024-06-20,1,1",
]
CONTRACTS = [
    "contract_id,account_id,start_date,end_date,arr,mrr,currency,status,"
    "previous_contract_id,renewal_opportunity_id",
    f"C-1,{ACME},2023-05-01,2024-04-30,1000000,,JPY,Expired,,006R1",
    f"C-1R,{ACME},2024-05-01,2025-04-30,1100000,,JPY,Activated,C-1,",
    f"C-2,{GLOBEX},2023-06-01,2024-05-31,500000,,JPY,Expired,,",
    f"C-3,{INITECH},2023-07-01,2024-06-30,800000,,JPY,Activated,,",
    f"C-4,{UMBRELLA},2023-06-16,2024-06-15,400000,,JPY,Expired,,006R4",
    f"C-6,{GLOBEX},2023-04-16,2024-04-15,200000,,JPY,Cancelled,,",
    f"C-5,{HOOLI},2023-08-01,2024-07-31,300000,,JPY,Activated,,006R5",
    f"C-5R,{HOOLI},2024-08-01,2025-07-31,300000,,JPY,Activated,C-5,",
]
# Respondents in Q1: a@acme (3, then 10: latest counts), b@acme 9, c@globex 8,
# d@initech 6, e@umbrella 0, f@hooli 10. g@hooli and h@hooli responded outside it.
RESPONSES = [
    "response_id,account_id,email,score,responded_at,comment",
    f"N1,{ACME},a@acme.example,3,2024-04-10,",
    f"N2,{ACME},a@acme.example,10,2024-06-01,",
    f"N3,{ACME},b@acme.example,9,2024-05-01,",
    f"N4,{GLOBEX},c@globex.example,8,2024-05-02,",
    f"N5,{INITECH},d@initech.example,6,2024-05-03,",
    f"N6,{UMBRELLA},e@umbrella.example,0,2024-05-04,",
    f"N7,{HOOLI},f@hooli.example,10,2024-06-29,",
    f"N8,{HOOLI},g@hooli.example,0,2024-03-31,",
    f"N9,{HOOLI},h@hooli.example,0,2024-07-01,",
]


def run_import(
    workspace: Workspace, source: str, *paths: Path, **options: Any
) -> ImportSummary:
    import_options = ImportOptions(**options)
    batch = get_importer(source).read(list(paths), workspace.settings, import_options)
    with workspace.open_store() as store:
        return load_batch(workspace, store, batch, import_options)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_opportunities(workspace: Workspace, folder: Path, rows: list[str]) -> None:
    folder.mkdir()
    write(folder / "Opportunity.csv", [OPPORTUNITY_HEADER, *rows])
    run_import(workspace, "salesforce", folder)


def build_book(tmp_path: Path) -> Workspace:
    workspace = Workspace.init(tmp_path / "workspace", default_config_text())
    folder = tmp_path / "salesforce"
    folder.mkdir()
    names = [("Acme", ACME), ("Globex", GLOBEX), ("Initech", INITECH)]
    names += [("Umbrella", UMBRELLA), ("Hooli", HOOLI)]
    write(
        folder / "Account.csv",
        ["Id,Name", *(f"{account},{name}" for name, account in names)],
    )
    write(folder / "Opportunity.csv", [OPPORTUNITY_HEADER, *OPPORTUNITIES])
    run_import(workspace, "salesforce", folder)
    contracts = write(tmp_path / "contracts.csv", CONTRACTS)
    run_import(
        workspace, "csv", contracts, mapping=MAPPINGS / "contracts.toml", max_rejects=0
    )
    responses = write(tmp_path / "nps.csv", RESPONSES)
    run_import(
        workspace, "csv", responses, mapping=MAPPINGS / "nps-survey.toml", max_rejects=0
    )
    return workspace


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The book above, shared by the tests that only read it."""
    return build_book(tmp_path_factory.mktemp("book"))


@pytest.fixture
def own_book(tmp_path: Path) -> Workspace:
    """The book above, for a test that imports more into it."""
    return build_book(tmp_path)


@cache
def _report(root: Path, period: str, segment: str, now: datetime) -> KpiReport:
    workspace = Workspace.load(root)
    with workspace.open_store(read_only=True) as store:
        return compute_kpis(
            store, workspace.settings, workspace.calendar.parse(period), [segment], now
        )


def kpi(
    workspace: Workspace,
    kpi_id: str,
    period: str = "FY2024-Q1",
    segment: str = "all",
    now: datetime = NOW,
) -> KpiResult:
    report = _report(workspace.root, period, segment, now)
    return report.find(kpi_id, report.segments[0])


def fresh_report(workspace: Workspace) -> KpiReport:
    with workspace.open_store(read_only=True) as store:
        return compute_kpis(
            store,
            workspace.settings,
            workspace.calendar.parse("FY2024-Q1"),
            ["all"],
            NOW,
        )


# Renewal rate ------------------------------------------------------------------


def test_renewal_rate_value(book: Workspace) -> None:
    result = kpi(book, "renewal_rate")
    assert result.value == pytest.approx(0.4)
    assert result.numerator == 2
    assert result.denominator == 5


def test_renewal_rate_outcomes(book: Workspace) -> None:
    details = kpi(book, "renewal_rate").details
    assert details["renewed"] == 2
    assert details["churned"] == 1
    assert details["lapsed"] == 1
    assert details["pending"] == 1


def test_renewal_rate_early_renewals(book: Workspace) -> None:
    details = kpi(book, "renewal_rate").details
    assert details["renewed_early"] == 2
    assert details["signed_before_period"] == 1
    assert details["rate_excluding_pending"] == pytest.approx(0.5)


def test_renewal_rate_wilson_interval(book: Workspace) -> None:
    low, high = kpi(book, "renewal_rate").ci95 or (None, None)
    assert low == pytest.approx(0.1176, abs=1e-4)
    assert high == pytest.approx(0.7693, abs=1e-4)


def test_renewal_rate_default_target(book: Workspace) -> None:
    result = kpi(book, "renewal_rate", segment="target")
    assert result.target == pytest.approx(0.9)


def test_renewal_won_early_counts_next_period(book: Workspace) -> None:
    result = kpi(book, "renewal_rate", period="FY2024-Q2")
    assert result.numerator == 1
    assert result.denominator == 1
    assert result.details["signed_before_period"] == 1


def test_pending_becomes_lapsed_after_grace(book: Workspace) -> None:
    details = kpi(book, "renewal_rate", now=datetime(2024, 8, 15)).details
    assert details["pending"] == 0
    assert details["lapsed"] == 2


def test_renewal_rate_per_account(book: Workspace) -> None:
    result = kpi(book, "renewal_rate", segment=f"account:{UMBRELLA}")
    assert result.numerator == 1
    assert result.denominator == 1


def test_renewal_lost_deal_churns(own_book: Workspace, tmp_path: Path) -> None:
    lost = f"006R3,{INITECH},Initech renewal,Renewal,Closed Lost,800000,2024-07-01,1,0"
    import_opportunities(own_book, tmp_path / "more", [lost])
    contracts = write(
        tmp_path / "contracts-more.csv",
        [
            CONTRACTS[0],
            f"C-3,{INITECH},2023-07-01,2024-06-30,800000,,JPY,Expired,,006R3",
        ],
    )
    run_import(own_book, "csv", contracts, mapping=MAPPINGS / "contracts.toml")
    details = fresh_report(own_book).find("renewal_rate").details
    assert details["pending"] == 0
    assert details["churned"] == 2


# Revenue retention -------------------------------------------------------------


def test_gross_retention_value(book: Workspace) -> None:
    result = kpi(book, "gross_revenue_retention")
    assert result.numerator == pytest.approx(1_360_000)
    assert result.denominator == pytest.approx(2_900_000)
    assert result.value == pytest.approx(1_360_000 / 2_900_000)


def test_gross_retention_lost_and_pending(book: Workspace) -> None:
    details = kpi(book, "gross_revenue_retention").details
    assert details["lost_arr"] == pytest.approx(700_000)
    assert details["pending_arr"] == pytest.approx(800_000)


def test_net_retention_value(book: Workspace) -> None:
    result = kpi(book, "net_revenue_retention")
    assert result.numerator == pytest.approx(1_460_000)
    assert result.value == pytest.approx(1_460_000 / 2_900_000)


def test_net_retention_expansion_contraction(book: Workspace) -> None:
    details = kpi(book, "net_revenue_retention").details
    assert details["expansion_arr"] == pytest.approx(100_000)
    assert details["contraction_arr"] == pytest.approx(40_000)


# Upsell rate -------------------------------------------------------------------


def test_upsell_rate_value(book: Workspace) -> None:
    # In force on 2024-04-01: C-1, C-2, C-3, C-4 and C-5 (C-6 is cancelled).
    # Won expansion in Q1: E1 (150,000); E2 was lost, E3 closed in Q2.
    result = kpi(book, "upsell_rate")
    assert result.numerator == pytest.approx(150_000)
    assert result.denominator == pytest.approx(3_000_000)
    assert result.value == pytest.approx(0.05)


def test_upsell_rate_counts(book: Workspace) -> None:
    details = kpi(book, "upsell_rate").details
    assert details["expansion_deals"] == 1
    assert details["accounts_with_arr"] == 5


# NPS ---------------------------------------------------------------------------


def test_nps_counts(book: Workspace) -> None:
    details = kpi(book, "nps").details
    assert details["respondents"] == 6
    assert details["promoters"] == 3
    assert details["passives"] == 1
    assert details["detractors"] == 2


def test_nps_value(book: Workspace) -> None:
    result = kpi(book, "nps")
    assert result.value == pytest.approx(100 / 6)
    assert result.numerator == 1
    assert result.denominator == 6


def test_nps_interval(book: Workspace) -> None:
    # p = 3/6, d = 2/6: variance (p + d - (p - d)^2) / 6.
    margin = 1.959963984540054 * math.sqrt((5 / 6 - (1 / 6) ** 2) / 6) * 100
    low, high = kpi(book, "nps").ci95 or (None, None)
    assert low == pytest.approx(100 / 6 - margin)
    assert high == pytest.approx(100 / 6 + margin)


def test_nps_per_account(book: Workspace) -> None:
    result = kpi(book, "nps", segment=f"account:{ACME}")
    assert result.value == pytest.approx(100.0)
    assert result.denominator == 2


# LTV ---------------------------------------------------------------------------


def test_ltv_value(book: Workspace) -> None:
    # Won up to 2024-06-30: Acme 1,000,000 + 1,100,000 + 150,000; Initech
    # 500,000; Umbrella 400,000 + 360,000; Hooli 300,000. Globex's expansion
    # closed in Q2.
    result = kpi(book, "ltv")
    assert result.numerator == pytest.approx(3_810_000)
    assert result.denominator == 4
    assert result.value == pytest.approx(952_500)


def test_ltv_per_account(book: Workspace) -> None:
    result = kpi(book, "ltv", segment=f"account:{ACME}")
    assert result.value == pytest.approx(2_250_000)


# New business stays apart ------------------------------------------------------


def test_win_rate_new_business_only(book: Workspace) -> None:
    # Closed in Q1: new business N3 won and N6 lost; R-4 and R-5 (renewals)
    # and E1 (expansion) were won in Q1 too and do not count.
    result = kpi(book, "win_rate")
    assert result.numerator == 1
    assert result.denominator == 2


def test_deal_size_new_business_only(book: Workspace) -> None:
    result = kpi(book, "average_deal_size")
    assert result.value == pytest.approx(500_000)


def test_renewal_deal_changes_no_sales_kpi(own_book: Workspace, tmp_path: Path) -> None:
    names = ("win_rate", "average_deal_size")
    report = fresh_report(own_book)
    before = [report.find(name).value for name in names]
    deals = [
        f"006R7,{INITECH},Initech big renewal,Renewal,Closed Won,9000000,"
        "2024-05-20,1,1",
        f"006R8,{GLOBEX},Globex renewal,Renewal,Closed Lost,100000,2024-05-21,1,0",
    ]
    import_opportunities(own_book, tmp_path / "renewals", deals)
    report = fresh_report(own_book)
    after = [report.find(name).value for name in names]
    assert after == [0.5, 500_000]
    assert after == before


# Surfaces ----------------------------------------------------------------------


def test_cli_json_renewal_rate(book: Workspace) -> None:
    document = run_json(
        "-w",
        book.root,
        "kpi",
        "--period",
        "FY2024-Q1",
        "--segment",
        "all",
        "--kpi",
        "renewal_rate",
        "--as-of",
        NOW.isoformat(),
    )
    (result,) = document["results"]
    assert result["value"] == pytest.approx(0.4)
    assert result["label"]["ja"] == "契約更新率"
    assert result["details"]["pending"] == 1


def test_cli_csv_customer_success_rows(book: Workspace) -> None:
    output = run_cli(
        "-w",
        book.root,
        "kpi",
        "--period",
        "FY2024-Q1",
        "--segment",
        "all",
        "--kpi",
        "nps",
        "--kpi",
        "ltv",
        "--as-of",
        NOW.isoformat(),
        "--format",
        "csv",
    ).stdout
    # The CSV starts with a byte-order mark, so Excel reads it as UTF-8.
    rows = list(csv.DictReader(io.StringIO(output.removeprefix("\ufeff"))))
    assert [row["id"] for row in rows] == ["nps", "ltv"]
    assert float(rows[0]["numerator"]) == 1
    assert float(rows[1]["value"]) == pytest.approx(952_500)


def test_cli_table_japanese_labels(book: Workspace) -> None:
    output = run_cli(
        "-w",
        book.root,
        "kpi",
        "--period",
        "FY2024-Q1",
        "--segment",
        "all",
        "--kpi",
        "upsell_rate",
        "--as-of",
        NOW.isoformat(),
    ).stdout
    assert "アップセル率" in output
    assert "5.0%" in output


@pytest.mark.parametrize("kpi_id", CUSTOMER_SUCCESS)
def test_registry_department(kpi_id: str) -> None:
    assert DEFINITIONS[kpi_id].department == "customer_success"


@pytest.mark.parametrize("kpi_id", CUSTOMER_SUCCESS)
def test_readme_documents_kpi(kpi_id: str) -> None:
    assert f"| `{kpi_id}`" in README.read_text(encoding="utf-8")


def test_nps_person_counted_once(own_book: Workspace, tmp_path: Path) -> None:
    # One contact answers once through a survey tool that links the contact
    # and once through one that has only the e-mail address: the later
    # answer (0) replaces the earlier one (10).
    folder = tmp_path / "contacts"
    folder.mkdir()
    write(
        folder / "Contact.csv",
        ["Id,AccountId,LastName,Email", f"003C1,{GLOBEX},Sato,sato@globex.example"],
    )
    run_import(own_book, "salesforce", folder)
    mapping = write(
        tmp_path / "linked-nps.toml",
        [
            'source = "linked"',
            "[[tables]]",
            'file = "linked*.csv"',
            'target = "nps_responses"',
            "[tables.columns]",
            'id = "response_id"',
            'person_id = { column = "contact_id", ref_source = "salesforce" }',
            'score = "score"',
            'responded_at = "responded_at"',
        ],
    )
    linked = write(
        tmp_path / "linked.csv",
        ["response_id,contact_id,score,responded_at", "L1,003C1,10,2024-05-10"],
    )
    run_import(own_book, "csv", linked, mapping=mapping, max_rejects=0)
    by_email = write(
        tmp_path / "nps-more.csv",
        [RESPONSES[0], "N10,,sato@globex.example,0,2024-06-10,"],
    )
    run_import(
        own_book, "csv", by_email, mapping=MAPPINGS / "nps-survey.toml", max_rejects=0
    )
    details = fresh_report(own_book).find("nps").details
    assert details["respondents"] == 7
    assert details["detractors"] == 3
    assert details["promoters"] == 3
