"""API tokens: hashing, roles, the token commands and the schema migration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abmkpi.errors import AbmkpiError, NotFoundError
from abmkpi.store.database import Store
from abmkpi.store.schema import MIGRATIONS, SCHEMA_VERSION
from abmkpi.tokens import (
    Role,
    create_token,
    list_tokens,
    parse_role,
    revoke_token,
    stored_hash,
    token_id_of,
    token_matches,
)
from abmkpi.workspace import Workspace
from tests.cli_support import run_cli, run_json


def test_token_shape_names_its_id(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        info, token = create_token(store, "MA webhook", Role.EDITOR)
    assert token.startswith(f"abmkpi_{info.id}_")
    assert token_id_of(token) == info.id
    assert len(token) > 40


def test_store_keeps_salted_hash_only(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        first, token = create_token(store, "one", Role.VIEWER)
        second, _ = create_token(store, "two", Role.VIEWER)
        hashed = stored_hash(store, first.id)
        other = stored_hash(store, second.id)
        dumped = json.dumps(store.fetch_all("SELECT * FROM api_tokens"), default=str)
    assert hashed is not None
    assert hashed.startswith("scrypt$16384$8$1$")
    assert token not in dumped
    assert token.split("_", 2)[2] not in dumped
    assert hashed != other


def test_token_matches_only_itself(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        info, token = create_token(store, "one", Role.VIEWER)
        hashed = stored_hash(store, info.id)
    assert hashed is not None
    assert token_matches(token, hashed)
    assert not token_matches(token[:-1] + ("A" if token[-1] != "A" else "B"), hashed)
    assert not token_matches(token, "md5$abc")


@pytest.mark.parametrize(
    "text", ["", "abmkpi", "abmkpi_x_secret", "other_1_secret", "abmkpi_1_", "Bearer"]
)
def test_malformed_token_claims_no_id(text: str) -> None:
    assert token_id_of(text) is None


def test_revoke_keeps_first_time(workspace: Workspace) -> None:
    with workspace.open_store() as store:
        info, _ = create_token(store, "one", Role.VIEWER)
        first = revoke_token(store, info.id)
        again = revoke_token(store, info.id)
    assert first.revoked_at is not None
    assert again.revoked_at == first.revoked_at


def test_revoke_unknown_token_fails(workspace: Workspace) -> None:
    with workspace.open_store() as store, pytest.raises(NotFoundError):
        revoke_token(store, 42)


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.ADMIN, Role.EDITOR, True),
        (Role.ADMIN, Role.VIEWER, True),
        (Role.EDITOR, Role.EDITOR, True),
        (Role.EDITOR, Role.ADMIN, False),
        (Role.VIEWER, Role.EDITOR, False),
        (Role.VIEWER, Role.VIEWER, True),
    ],
)
def test_role_order(role: Role, needed: Role, allowed: bool) -> None:
    assert role.allows(needed) is allowed


def test_unknown_role_rejected() -> None:
    with pytest.raises(AbmkpiError, match="use one of viewer, editor, admin"):
        parse_role("owner")


def test_blank_name_rejected(workspace: Workspace) -> None:
    with workspace.open_store() as store, pytest.raises(AbmkpiError):
        create_token(store, "   ", Role.VIEWER)


def test_token_commands_end_to_end(workspace: Workspace) -> None:
    root = workspace.root
    created = run_cli(
        "-w",
        root,
        "--lang",
        "en",
        "token",
        "create",
        "--name",
        "CRM sync",
        "--role",
        "editor",
    )
    token = created.stdout.strip()
    assert token_id_of(token) == 1
    assert "cannot be shown again" in created.stderr
    listed = run_json("-w", root, "token", "list")
    assert [(t["id"], t["name"], t["role"]) for t in listed["tokens"]] == [
        (1, "CRM sync", "editor")
    ]
    assert token not in json.dumps(listed)
    run_cli("-w", root, "token", "revoke", "1")
    revoked = run_json("-w", root, "token", "list")
    assert revoked["tokens"][0]["revoked_at"] is not None


def test_token_create_rejects_bad_role(workspace: Workspace) -> None:
    result = run_cli(
        "-w",
        workspace.root,
        "--lang",
        "en",
        "token",
        "create",
        "--name",
        "x",
        "--role",
        "root",
        check=False,
    )
    assert result.returncode == 1
    assert "invalid role 'root'" in result.stderr


def test_version2_store_migrates(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        for migration in MIGRATIONS[:2]:
            for statement in migration:
                store.execute(statement)
        store.execute("INSERT INTO meta VALUES ('schema_version', '2')")
        store.execute(
            "INSERT INTO activities (id, source_system, source_id, occurred_at, type) "
            "VALUES ('csv:1', 'csv', '1', '2025-01-01', 'web_visit')"
        )
    with Store.open(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.scalar("SELECT domain FROM activities") is None
        info, _ = create_token(store, "after migration", Role.VIEWER)
        assert [t.id for t in list_tokens(store)] == [info.id]
