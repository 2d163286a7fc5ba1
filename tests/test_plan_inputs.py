"""Rejected PDCA and KPI-target input: due dates and periods outside the plan
window, pattern rules with unknown keys, tiers below 1, uplift targets for
segments without a value, and free text the API would reject. Each case
checks the message and that the store is unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest

from abmkpi.config import settings_from_dict
from abmkpi.errors import ConfigError, FieldError
from abmkpi.kpi_targets import list_kpi_targets, set_kpi_target
from abmkpi.pdca.actions import add_action
from abmkpi.periods import today_in
from abmkpi.plan_dates import latest_plan_date
from abmkpi.tokens import Role, create_token
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli
from tests.pdca_support import Rows, build, key
from tests.web_support import Server, error_of, serving

NOW = datetime(2025, 3, 20, 3, 0)  # 12:00 in Tokyo, the default time zone
ZONE = "Asia/Tokyo"


def _rows() -> Rows:
    rows = Rows()
    rows.account("acme", tier=1)
    rows.activity("acme", "form_fill", datetime(2025, 3, 1, 3, 0), "c1", "demo.pdf")
    rows.activity("acme", "web_visit", datetime(2025, 3, 2, 3, 0), "c1", "demo.pdf")
    rows.activity("acme", "web_visit", datetime(2025, 3, 3, 3, 0), "c2", "price.pdf")
    return rows


# Campaign names: two campaigns share one name, and c3 has no activities.
CAMPAIGNS = [("c1", "ABM Webinar"), ("c2", "Spring Seminar"), ("c3", "Spring Seminar")]


def _build(workspace: Workspace) -> Workspace:
    build(workspace, _rows())
    with workspace.open_store() as store:
        store.execute_many(
            "INSERT INTO campaigns (id, source_system, source_id, name) "
            "VALUES (?, 'csv', ?, ?)",
            [(id_, id_, name) for id_, name in CAMPAIGNS],
        )
    return workspace


@pytest.fixture
def acme(make_workspace: Callable[..., Workspace]) -> Workspace:
    return _build(make_workspace())


def _count(workspace: Workspace, table: str) -> int:
    with workspace.open_store(read_only=True) as store:
        return int(store.scalar(f"SELECT count(*) FROM {table}"))


def _stderr(result: Any) -> str:
    """Return the CLI's error text without the box that Rich draws round it."""
    lines = [line.strip(" │╭╮╰╯─") for line in result.stderr.splitlines()]
    return " ".join(line for line in lines if line)


def _window_end() -> str:
    return latest_plan_date(today_in(ZONE)).isoformat()


# Due dates -------------------------------------------------------------------


def _add(workspace: Workspace, **fields: Any) -> None:
    with workspace.open_store() as store:
        add_action(store, workspace.settings, "acme", "Call", now=NOW, **fields)


@pytest.mark.parametrize("due", [date(2000, 1, 1), date(2035, 3, 20)])
def test_due_date_window_edges_accepted(acme: Workspace, due: date) -> None:
    _add(acme, due_date=due)
    with acme.open_store(read_only=True) as store:
        assert store.scalar("SELECT due_date FROM pdca_actions") == due


@pytest.mark.parametrize(
    "due", [date(1, 1, 1), date(1999, 12, 31), date(2035, 3, 21), date(9999, 12, 31)]
)
def test_due_date_outside_window_rejected(acme: Workspace, due: date) -> None:
    with pytest.raises(FieldError) as raised:
        _add(acme, due_date=due)
    assert raised.value.field == "due_date"
    assert str(raised.value) == (
        f"the due date is {due.isoformat()}, outside the dates a plan may name, "
        "2000-01-01 to 2035-03-20 (ten years from today); give a date in that range"
    )
    assert _count(acme, "pdca_actions") == 0


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31"])
def test_cli_due_date_rejected(acme: Workspace, due: str) -> None:
    result = run_cli(
        "-w", acme.root, "--lang", "en",
        "pdca", "action", "add", key("acme"),
        "--title", "Call", "--due", due,
    check=False)  # fmt: skip
    assert result.returncode == 2
    assert (
        f"Invalid value for --due: the due date is {due}, outside the dates a plan "
        f"may name, 2000-01-01 to {_window_end()} (ten years from today)"
    ) in _stderr(result)
    assert _count(acme, "pdca_actions") == 0


# Pattern rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "pattern:campaign:c2",
        "pattern:asset:demo.pdf",
        "pattern:activity_type:sales_call",
    ],
)
def test_known_pattern_key_accepted(acme: Workspace, rule: str) -> None:
    _add(acme, rule=rule)
    with acme.open_store(read_only=True) as store:
        assert store.scalar("SELECT rule FROM pdca_actions") == rule


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "pattern:campaign:c9",
            "unknown campaign 'c9' in rule 'pattern:campaign:c9'; keys in this "
            "workspace include c1, c2 ('abmkpi pdca patterns' lists the patterns "
            "and their keys)",
        ),
        (
            "pattern:asset:webinar.mp4",
            "unknown asset 'webinar.mp4' in rule 'pattern:asset:webinar.mp4'; keys "
            "in this workspace include demo.pdf, price.pdf ('abmkpi pdca patterns' "
            "lists the patterns and their keys)",
        ),
        (
            "pattern:activity_type:fax",
            "unknown activity type 'fax' in rule 'pattern:activity_type:fax'; keys "
            "in this workspace include ad_click, content_download, email_bounce, "
            "email_click, email_delivered ('abmkpi pdca patterns' lists the "
            "patterns and their keys)",
        ),
    ],
)
def test_unknown_pattern_key_rejected(
    acme: Workspace, rule: str, expected: str
) -> None:
    with pytest.raises(FieldError) as raised:
        _add(acme, rule=rule)
    assert raised.value.field == "rule"
    assert str(raised.value) == expected
    assert _count(acme, "pdca_actions") == 0


@pytest.mark.parametrize(
    ("rule", "stored"),
    [
        ("pattern:campaign:abm webinar", "pattern:campaign:c1"),
        ("pattern:campaign:ＡＢＭ\u3000Ｗｅｂｉｎａｒ", "pattern:campaign:c1"),
        ("pattern:asset:DEMO.PDF", "pattern:asset:demo.pdf"),
        ("pattern:activity_type:Form fill", "pattern:activity_type:form_fill"),
        ("pattern:activity_type:フォーム送信", "pattern:activity_type:form_fill"),
    ],
)
def test_pattern_name_resolved(acme: Workspace, rule: str, stored: str) -> None:
    _add(acme, rule=rule)
    with acme.open_store(read_only=True) as store:
        assert store.scalar("SELECT rule FROM pdca_actions") == stored


def test_ambiguous_campaign_name_rejected(acme: Workspace) -> None:
    with pytest.raises(FieldError) as raised:
        _add(acme, rule="pattern:campaign:spring seminar")
    assert str(raised.value) == (
        "campaign name 'spring seminar' in rule 'pattern:campaign:spring seminar' "
        "matches 2 campaigns: c2, c3; use pattern:campaign:ID with one of these ids"
    )
    assert _count(acme, "pdca_actions") == 0


def test_cli_campaign_name_accepted(acme: Workspace) -> None:
    run_cli(
        "-w", acme.root, "pdca", "action", "add", key("acme"),
        "--title", "Call", "--rule", "pattern:campaign:ABM Webinar",
    )  # fmt: skip
    with acme.open_store(read_only=True) as store:
        assert store.scalar("SELECT rule FROM pdca_actions") == "pattern:campaign:c1"


def test_cli_unknown_campaign_rejected(acme: Workspace) -> None:
    result = run_cli(
        "-w", acme.root, "--lang", "en",
        "pdca", "action", "add", key("acme"),
        "--title", "Call", "--rule", "pattern:campaign:c9",
    check=False)  # fmt: skip
    assert result.returncode == 2
    assert (
        "Invalid value for --rule: unknown campaign 'c9' in rule "
        "'pattern:campaign:c9'; keys in this workspace include c1, c2"
    ) in _stderr(result)
    assert _count(acme, "pdca_actions") == 0


# Free text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        (
            {"owner": "x" * 201},
            "owner",
            f"the owner {'x' * 39 + '…'!r} has 201 characters; the maximum is 200",
        ),
        (
            {"owner": "Sato\x1b[31m"},
            "owner",
            "the owner 'Sato\\x1b[31m' contains the control character U+001B; "
            "remove it",
        ),
    ],
)
def test_action_text_rejected(
    acme: Workspace, fields: dict[str, str], field: str, expected: str
) -> None:
    with pytest.raises(FieldError) as raised:
        _add(acme, **fields)
    assert raised.value.field == field
    assert str(raised.value) == expected
    assert _count(acme, "pdca_actions") == 0


def test_cli_title_control_character(acme: Workspace) -> None:
    result = run_cli(
        "-w", acme.root, "--lang", "en",
        "pdca", "action", "add", key("acme"), "--title", "Call\x07",
    check=False)  # fmt: skip
    assert result.returncode == 2
    assert (
        "Invalid value for --title: the title 'Call\\x07' contains the control "
        "character U+0007; remove it"
    ) in _stderr(result)
    assert _count(acme, "pdca_actions") == 0


def test_cli_note_too_long(acme: Workspace) -> None:
    _add(acme)
    result = run_cli(
        "-w", acme.root, "--lang", "en",
        "pdca", "action", "done", "1", "--note", "n" * 2001,
    check=False)  # fmt: skip
    assert result.returncode == 2
    assert "Invalid value for --note: the note" in _stderr(result)
    assert "has 2,001 characters; the maximum is 2,000" in _stderr(result)
    with acme.open_store(read_only=True) as store:
        assert store.fetch_one("SELECT status, note FROM pdca_actions") == (
            "open",
            None,
        )


def test_note_keeps_line_breaks(acme: Workspace) -> None:
    _add(acme)
    result = run_cli("-w", acme.root, "pdca", "action", "done", "1", "--note", "a\nb")
    assert result.returncode == 0
    with acme.open_store(read_only=True) as store:
        assert store.scalar("SELECT note FROM pdca_actions") == "a\nb"


def test_token_name_control_character(acme: Workspace) -> None:
    with acme.open_store() as store, pytest.raises(FieldError) as raised:
        create_token(store, "ops\nadmin", Role.ADMIN)
    assert str(raised.value) == (
        "the token name 'ops\\nadmin' contains the control character U+000A; remove it"
    )
    assert _count(acme, "api_tokens") == 0


def test_cli_token_name_too_long(acme: Workspace) -> None:
    result = run_cli(
        "-w",
        acme.root,
        "--lang",
        "en",
        "token",
        "create",
        "--name",
        "t" * 101,
        check=False,
    )
    assert result.returncode == 2
    assert (
        f"Invalid value for --name: the token name {'t' * 39 + '…'!r} has 101 "
        "characters; the maximum is 100"
    ) in _stderr(result)
    assert _count(acme, "api_tokens") == 0


def test_workspace_name_control_character() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_dict({"workspace": {"name": "ABM\x1b[2J"}})
    assert str(raised.value).splitlines()[1] == (
        "  workspace.name: the name 'ABM\\x1b[2J' contains the control character "
        "U+001B; remove it (value 'ABM\\x1b[2J')"
    )


# KPI targets -----------------------------------------------------------------


def _set_target(workspace: Workspace, *args: str) -> Any:
    return run_cli(
        "-w",
        workspace.root,
        "--lang",
        "en",
        "targets",
        "kpi",
        "set",
        *args,
        check=False,
    )


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("tier:0", "invalid segment 'tier:0': tiers are whole numbers from 1 to 99"),
        ("tier:-1", "invalid segment 'tier:-1': tiers are whole numbers from 1 to 99"),
        (
            "tier:100",
            "invalid segment 'tier:100': tiers are whole numbers from 1 to 99",
        ),
    ],
)
def test_cli_target_tier_rejected(acme: Workspace, segment: str, expected: str) -> None:
    result = _set_target(
        acme, "contact_rate", "0.5", "--period", "FY2024", "--segment", segment
    )
    assert result.returncode == 1
    assert f"error: {expected}, such as tier:1" in _stderr(result)
    assert _count(acme, "kpi_targets") == 0


def test_cli_kpi_segment_tier_zero(acme: Workspace) -> None:
    result = run_cli(
        "-w", acme.root, "--lang", "en", "kpi", "--segment", "tier:0", check=False
    )
    assert result.returncode != 0
    assert "invalid segment 'tier:0': tiers are whole numbers from 1 to 99" in (
        _stderr(result)
    )


@pytest.mark.parametrize("tier", ["0", "100"])
def test_config_tier_multiplier_rejected(tier: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_dict({"engagement": {"tier_multipliers": {tier: 2.0}}})
    assert str(raised.value).splitlines()[1:] == [
        f"  engagement.tier_multipliers: tier key {tier!r} must be a tier number "
        "from 1 to 99, such as '1'"
    ]


@pytest.mark.parametrize("segment", ["target", "non-target"])
def test_cli_uplift_target_segment_rejected(acme: Workspace, segment: str) -> None:
    result = _set_target(
        acme, "deal_size_uplift", "1.5", "--period", "FY2024", "--segment", segment
    )
    stored = segment.replace("-", "_")
    assert result.returncode == 2
    assert (
        f"Invalid value for --segment: a deal_size_uplift target cannot be set for "
        f"segment '{stored}': the KPI compares target with non-target accounts, so "
        "it has a value only for segment all (every tier) and for tier:N; use "
        "--segment all or tier:N"
    ) in _stderr(result)
    assert _count(acme, "kpi_targets") == 0


def test_cli_uplift_target_account_rejected(acme: Workspace) -> None:
    result = _set_target(
        acme, "deal_size_uplift", "1.5", "--period", "FY2024", "--account", "acme"
    )
    assert result.returncode == 2
    assert (
        "Invalid value for --account: a deal_size_uplift target cannot be set "
        f"for segment 'account:{key('acme')}'" in _stderr(result)
    )
    assert _count(acme, "kpi_targets") == 0


@pytest.mark.parametrize("segment", ["all", "tier:1"])
def test_uplift_target_for_all_and_tier(acme: Workspace, segment: str) -> None:
    period = acme.calendar.parse("FY2024")
    with acme.open_store() as store:
        set_kpi_target(store, "deal_size_uplift", period, 1.5, segment, NOW)
        stored = list_kpi_targets(store)
    assert [(t.kpi_key, t.segment, t.value) for t in stored] == [
        ("deal_size_uplift", segment, 1.5)
    ]


@pytest.mark.parametrize(("period", "start"), [("FY1998", "1998-04-01")])
def test_cli_target_period_rejected(acme: Workspace, period: str, start: str) -> None:
    result = _set_target(acme, "contact_rate", "0.5", "--period", period)
    assert result.returncode == 2
    assert (
        f"Invalid value for --period: period {period} starts on {start}, outside "
        f"the dates a plan may name, 2000-01-01 to {_window_end()}"
    ) in _stderr(result)
    assert _count(acme, "kpi_targets") == 0


def test_target_period_far_ahead_rejected(acme: Workspace) -> None:
    period = acme.calendar.parse("FY2040")
    with acme.open_store() as store, pytest.raises(FieldError) as raised:
        set_kpi_target(store, "contact_rate", period, 0.5, "target", NOW)
    assert str(raised.value) == (
        "period FY2040 starts on 2040-04-01, outside the dates a plan may name, "
        "2000-01-01 to 2035-03-20 (ten years from today); give a date in that range"
    )
    assert _count(acme, "kpi_targets") == 0


# The same checks through the API ---------------------------------------------


class Served:
    def __init__(self, server: Server, editor: str):
        self.server = server
        self.editor = editor

    def post(self, path: str, body: Any) -> Any:
        with self.server.client(self.editor) as client:
            return client.post(path, json=body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workspace = Workspace.init(tmp_path_factory.mktemp("plan-inputs") / "ws")
    _build(workspace)
    with workspace.open_store() as store:
        _, editor = create_token(store, "test editor", Role.EDITOR)
    with serving(workspace) as (server, _):
        yield Served(server, editor)


def _api_count(served: Served) -> int:
    with served.server.state.reader() as store:
        return int(store.scalar("SELECT count(*) FROM pdca_actions"))


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31"])
def test_api_due_date_rejected(served: Served, due: str) -> None:
    body = {"account": key("acme"), "title": "Call", "due_date": due}
    response = served.post("/api/v1/pdca/actions", body)
    detail = error_of(response)["details"][0]
    assert response.status_code == 422
    assert detail["field"] == "body.due_date"
    assert detail["problem"] == (
        f"the due date is {due}, outside the dates a plan may name, 2000-01-01 to "
        f"{_window_end()} (ten years from today); give a date in that range"
    )
    assert _api_count(served) == 0


def test_api_unknown_campaign_rejected(served: Served) -> None:
    body = {"account": key("acme"), "title": "Call", "rule": "pattern:campaign:c9"}
    response = served.post("/api/v1/pdca/actions", body)
    detail = error_of(response)["details"][0]
    assert response.status_code == 422
    assert detail["field"] == "body.rule"
    assert detail["problem"].startswith(
        "unknown campaign 'c9' in rule 'pattern:campaign:c9'; keys in this "
        "workspace include c1, c2"
    )
    assert _api_count(served) == 0


def test_api_campaign_name_resolved(make_workspace: Callable[..., Workspace]) -> None:
    workspace = _build(make_workspace())
    with workspace.open_store() as store:
        _, editor = create_token(store, "test editor", Role.EDITOR)
    rule = "pattern:campaign:abm webinar"
    body = {"account": key("acme"), "title": "Call", "rule": rule}
    with serving(workspace) as (server, _), server.client(editor) as client:
        resolved = client.post("/api/v1/pdca/actions", json=body)
        body["rule"] = "pattern:campaign:Spring Seminar"
        ambiguous = client.post("/api/v1/pdca/actions", json=body)
    assert resolved.status_code == 201
    assert resolved.json()["rule"] == "pattern:campaign:c1"
    assert ambiguous.status_code == 422
    assert error_of(ambiguous)["details"][0]["problem"].startswith(
        "campaign name 'Spring Seminar' in rule 'pattern:campaign:Spring Seminar' "
        "matches 2 campaigns: c2, c3"
    )


def test_api_title_control_character(served: Served) -> None:
    body = {"account": key("acme"), "title": "Call\u0000now"}
    response = served.post("/api/v1/pdca/actions", body)
    detail = error_of(response)["details"][0]
    assert response.status_code == 422
    assert detail["field"] == "body.title"
    assert detail["problem"] == (
        "the title 'Call\\x00now' contains the control character U+0000; remove it"
    )
    assert _api_count(served) == 0


def test_cli_and_api_share_limit() -> None:
    # The API model and the domain check read one constant.
    from abmkpi.pdca.actions import MAX_OWNER_LENGTH
    from abmkpi.web.api_pdca_models import ActionRequest

    owner = ActionRequest.model_fields["owner"]
    assert any(
        getattr(item, "max_length", None) == MAX_OWNER_LENGTH for item in owner.metadata
    )
