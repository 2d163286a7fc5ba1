"""The account list's open pipeline agrees with the KPI card pipeline_open.

Open deals at the end of FY2024-Q1 (2024-06-30), in JPY:

| account | new business | expansion + renewal |
|---|---|---|
| Alpha | O1 1,000,000 | O2 300,000 (upsell) + O3 200,000 (renewal) = 500,000 |
| Beta | O5 700,000 | O6 400,000 (renewal) |

O4 (Beta, new business, 500,000) was won on 2024-05-20, so it is not open.
pipeline_open counts new business only: 1,000,000 + 700,000 = 1,700,000.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json
from tests.hardening_support import import_files
from tests.web_support import serving

PERIOD = "FY2024-Q1"

MAPPING = """
source = "t"

[[tables]]
file = "accounts*.csv"
target = "accounts"
[tables.columns]
id = "id"
name = "name"
website = "website"

[[tables]]
file = "opps*.csv"
target = "opportunities"
[tables.columns]
id = "id"
source_account_id = "account"
stage = "stage"
created_at = "created"
close_date = "close"
amount = "amount"
currency = "currency"
raw_type = "type"
"""

FILES = {
    "accounts.csv": """id,name,website
A1,Alpha Corp,alpha.example.com
A2,Beta KK,beta.example.jp
""",
    "opps.csv": """id,account,stage,created,close,amount,currency,type
O1,A1,Prospecting,2024-04-10,2024-09-30,1000000,JPY,New Business
O2,A1,Negotiation,2024-04-20,2024-09-30,300000,JPY,Upsell
O3,A1,Prospecting,2024-05-01,2024-10-31,200000,JPY,Renewal
O4,A2,Closed Won,2024-04-05,2024-05-20,500000,JPY,New Business
O5,A2,Prospecting,2024-05-10,2024-09-30,700000,JPY,New Business
O6,A2,Prospecting,2024-06-01,2024-09-30,400000,JPY,Renewal
""",
}

EXPECTED = {
    "t:A1": {"open_pipeline": 1_000_000, "open_pipeline_expansion_renewal": 500_000},
    "t:A2": {"open_pipeline": 700_000, "open_pipeline_expansion_renewal": 400_000},
}


@pytest.fixture
def workspace(make_workspace: Callable[..., Workspace]) -> Workspace:
    workspace = make_workspace()
    import_files(workspace, FILES, "pipeline", mapping=MAPPING)
    return workspace


def pipelines(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        row["id"]: {
            "open_pipeline": row["open_pipeline"],
            "open_pipeline_expansion_renewal": row["open_pipeline_expansion_renewal"],
        }
        for row in rows
    }


def test_cli_pipeline_matches_kpi(workspace: Workspace) -> None:
    accounts = run_json("--workspace", workspace.root, "accounts", "--period", PERIOD)[
        "accounts"
    ]
    report = run_json(
        "--workspace",
        workspace.root,
        "kpi",
        "--period",
        PERIOD,
        "--segment",
        "all",
        "--kpi",
        "pipeline_open",
    )
    (card,) = [r for r in report["results"] if r["segment"] == "all"]
    assert pipelines(accounts) == EXPECTED
    assert card["value"] == 1_700_000
    assert sum(row["open_pipeline"] for row in accounts) == card["value"]


def test_cli_table_labels_pipelines(workspace: Workspace) -> None:
    output = run_cli(
        "--workspace", workspace.root, "--lang", "en", "accounts", "--period", PERIOD
    ).stdout
    assert "Open pipeline (new business)" in output
    assert "Open pipeline (expansion, renewal)" in output


def test_api_pipeline_matches_kpi(workspace: Workspace) -> None:
    with serving(workspace) as (server, _), server.client() as api:
        accounts = api.get("/api/v1/accounts", params={"period": PERIOD}).json()
        by_pipeline = api.get(
            "/api/v1/accounts", params={"period": PERIOD, "sort": "pipeline"}
        ).json()
    assert pipelines(accounts["accounts"]) == EXPECTED
    assert [row["id"] for row in by_pipeline["accounts"]] == ["t:A1", "t:A2"]


def test_page_labels_pipelines(workspace: Workspace) -> None:
    with serving(workspace) as (server, _), server.client() as browser:
        english = browser.get("/accounts", params={"period": PERIOD, "lang": "en"})
        japanese = browser.get("/accounts", params={"period": PERIOD, "lang": "ja"})
    assert "Open pipeline (new business)" in english.text
    assert "Open pipeline (expansion, renewal)" in english.text
    assert "オープンパイプライン（新規）" in japanese.text
    assert "オープンパイプライン（アップセル・更新）" in japanese.text
