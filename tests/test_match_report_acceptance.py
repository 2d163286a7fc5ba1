"""The match report of a Salesforce export plus Marketo tables in one workspace.

The Fivetran Marketo seed data is anonymised: every lead has a placeholder
address at email.com (a free-mail domain) and no activity's lead id is in the
lead table. An honest report therefore shows no Marketo person or activity
matched to a Salesforce account, and says why for each of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_cli, run_json


@pytest.fixture(scope="module")
def report(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> dict[str, Any]:
    workspace = tmp_path_factory.mktemp("match") / "workspace"
    run_cli("init", workspace)
    run_cli(
        "-w",
        workspace,
        "import",
        "salesforce",
        shared_data / "salesforce-devorg-data-export",
    )
    run_cli("-w", workspace, "import", "marketo", shared_data / "fivetran-marketo")
    document = run_json("-w", workspace, "match", "--report")
    return {source["source_system"]: source for source in document["sources"]}


def test_marketo_people_unmatched_with_reasons(report: dict[str, Any]) -> None:
    people = report["marketo"]["people"]
    assert people["total"] == 131
    assert people["matched"] == 0
    assert people["unmatched"] == {"free_mail_domain": 100, "merged_or_deleted": 31}


def test_marketo_activities_unmatched_with_reasons(report: dict[str, Any]) -> None:
    activities = report["marketo"]["activities"]
    assert activities["total"] == 600
    assert activities["matched"] == 0
    assert activities["unmatched"]["person_not_found"] == 597
    assert activities["unmatched"]["deleted"] == 3


def test_free_mail_domain_named(report: dict[str, Any]) -> None:
    domains = report["marketo"]["free_mail_domains"]
    assert domains == [{"domain": "email.com", "people": 100}]


def test_salesforce_contacts_link_to_accounts(report: dict[str, Any]) -> None:
    people = report["salesforce"]["people"]
    assert people["total"] == 42
    assert people["by_method"]["source_link"] == 20


def test_salesforce_leads_unmatched_reason(report: dict[str, Any]) -> None:
    people = report["salesforce"]["people"]
    assert people["matched"] + sum(people["unmatched"].values()) == 42
    assert set(people["unmatched"]) == {"domain_not_found"}


def test_table_output_states_rates(tmp_path: Path, shared_data: Path) -> None:
    workspace = tmp_path / "workspace"
    run_cli("init", workspace)
    run_cli("-w", workspace, "import", "marketo", shared_data / "fivetran-marketo")
    output = run_cli("-w", workspace, "--lang", "en", "match", "--report").stdout
    assert "Free-mail address 100" in output
    assert "0.0%" in output
