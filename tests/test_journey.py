"""Account journey stages as of a date and their progression between two
dates, on the hand-worked workspace of tests.journey_support."""

from __future__ import annotations

from datetime import date

import pytest

from abmkpi.errors import AbmkpiError
from abmkpi.metrics.journey import journey_progress, stages_as_of
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json
from tests.journey_support import (
    FROM_DATE,
    TO_DATE,
    make_journey_workspace,
    workspace_maker,
)


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The hand-worked workspace; every test only reads it."""
    root = tmp_path_factory.mktemp("journey")
    return make_journey_workspace(workspace_maker(root))


def _stages(workspace: Workspace, on: date) -> dict[str, str]:
    with workspace.open_store(read_only=True) as store:
        rows = stages_as_of(store, workspace.settings, on)
    return {row["name"]: row["stage"] for row in rows}


def test_stages_on_first_date(journey: Workspace) -> None:
    assert _stages(journey, FROM_DATE) == {
        "Alpha Corp": "engaged",
        "Beta KK": "engaged",
        "Gamma Inc": "engaged",
        "Delta Ltd": "unengaged",
        "Epsilon SA": "opportunity",
        "Zeta GmbH": "unengaged",
    }


def test_stages_on_second_date(journey: Workspace) -> None:
    assert _stages(journey, TO_DATE) == {
        "Alpha Corp": "mqa",
        "Beta KK": "customer",
        "Gamma Inc": "aware",
        "Delta Ltd": "customer",
        "Epsilon SA": "opportunity",
        "Zeta GmbH": "engaged",
    }


def test_download_ages_out_of_window(journey: Workspace) -> None:
    # The 2024-04-10 download is inside the 90 days up to 2024-07-08 and
    # outside those up to 2024-07-09; Gamma's open comes later, on 08-01.
    assert _stages(journey, date(2024, 7, 8))["Gamma Inc"] == "engaged"
    assert _stages(journey, date(2024, 7, 9))["Gamma Inc"] == "unengaged"


def test_won_deal_counts_from_close(journey: Workspace) -> None:
    # Beta's deal was created 06-01 and won on 07-10.
    assert _stages(journey, date(2024, 7, 9))["Beta KK"] == "opportunity"
    assert _stages(journey, date(2024, 7, 10))["Beta KK"] == "customer"


def test_progress_of_targets(journey: Workspace) -> None:
    with journey.open_store(read_only=True) as store:
        progress = journey_progress(store, journey.settings, FROM_DATE, TO_DATE)
    document = progress.to_dict()
    assert document["counts_from"] == {
        "unengaged": 1,
        "aware": 0,
        "engaged": 3,
        "mqa": 0,
        "opportunity": 1,
        "customer": 0,
    }
    assert document["counts_to"] == {
        "unengaged": 0,
        "aware": 1,
        "engaged": 0,
        "mqa": 1,
        "opportunity": 1,
        "customer": 2,
    }
    assert document["moved_up"] == 3
    assert document["moved_down"] == 1
    assert document["stayed"] == 1
    movers = [(m["name"], m["from_stage"], m["to_stage"]) for m in document["movers"]]
    assert movers == [
        ("Beta KK", "engaged", "customer"),
        ("Delta Ltd", "unengaged", "customer"),
        ("Alpha Corp", "engaged", "mqa"),
        ("Gamma Inc", "engaged", "aware"),
    ]


def test_progress_of_all_accounts(journey: Workspace) -> None:
    with journey.open_store(read_only=True) as store:
        progress = journey_progress(
            store, journey.settings, FROM_DATE, TO_DATE, segment="all"
        )
    assert len(progress.accounts) == 6
    # Zeta moves up from unengaged to engaged as well.
    assert len(progress.moved("up")) == 4


def test_progress_rejects_reversed_dates(journey: Workspace) -> None:
    with (
        journey.open_store(read_only=True) as store,
        pytest.raises(AbmkpiError) as caught,
    ):
        journey_progress(store, journey.settings, TO_DATE, FROM_DATE)
    assert "to (2024-05-01) is before from (2024-08-15)" in str(caught.value)


def test_cli_prints_progress(journey: Workspace) -> None:
    document = run_json(
        "-w", journey.root, "journey", "--from", "2024-05-01", "--to", "2024-08-15",
        "--segment", "tier:1",
    )  # fmt: skip
    assert document["segment"] == "tier:1"
    assert document["moved_up"] == 3
    assert document["counts_to"]["customer"] == 2


def test_cli_rejects_bad_date(journey: Workspace) -> None:
    result = run_cli(
        "-w",
        journey.root,
        "--lang",
        "en",
        "journey",
        "--from",
        "2024-02-30",
        check=False,
    )
    assert result.returncode != 0
    assert "invalid date '2024-02-30'" in result.stderr


def test_cli_rejects_far_date(journey: Workspace) -> None:
    result = run_cli(
        "-w", journey.root, "--lang", "en", "journey", "--to", "9999-12-31", check=False
    )
    assert result.returncode == 2
    assert "outside the supported years 1900 to 2999" in result.stderr
