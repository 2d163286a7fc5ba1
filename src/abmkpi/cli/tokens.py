"""The token commands: create, list and revoke API tokens."""

from __future__ import annotations

import typer

from abmkpi.cli import app, console, errors
from abmkpi.cli.common import (
    OutputFormat,
    bad_parameter,
    load_workspace,
    print_csv,
    print_json,
    print_table,
)
from abmkpi.cli.labels import Labels
from abmkpi.errors import FieldError
from abmkpi.tokens import create_token, list_tokens, parse_role, revoke_token

token_app = typer.Typer(
    help="API tokens with roles (admin, editor, viewer) for the web API and dashboard."
)
app.add_typer(token_app, name="token")

TOKEN_COLUMNS = ["id", "name", "role", "created_at", "last_used_at", "revoked_at"]


@token_app.command("create")
def token_create(
    name: str = typer.Option(
        ...,
        "--name",
        help="What the token is for, such as 'MA webhook' (at most 100 characters).",
    ),
    role: str = typer.Option(
        "viewer",
        "--role",
        help="admin (manage tokens), editor (send activities) or viewer (read).",
    ),
) -> None:
    """Create a token and print it once; only its hash is stored."""
    chosen = parse_role(role)
    workspace = load_workspace()
    with workspace.open_store() as store:
        try:
            info, token = create_token(store, name, chosen)
        except FieldError as error:
            raise bad_parameter(error, {"name": "--name"}) from error
    # Plain print: the token must be copyable without markup or wrapping.
    print(token)
    t = Labels.of(workspace)
    errors.print(
        t(
            "created token %(id)s (%(name)s, role %(role)s); copy it now, it "
            "cannot be shown again",
            id=info.id,
            name=info.name,
            role=info.role.value,
        ),
        highlight=False,
    )


@token_app.command("list")
def token_list(
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """List tokens with role, creation, last use and revocation, never secrets."""
    workspace = load_workspace()
    with workspace.open_store(read_only=True) as store:
        tokens = [info.to_dict() for info in list_tokens(store)]
    if output == OutputFormat.JSON:
        print_json({"tokens": tokens})
        return
    if output == OutputFormat.CSV:
        print_csv(TOKEN_COLUMNS, tokens)
        return
    t = Labels.of(workspace)
    print_table(
        t("API tokens"),
        [
            t("ID"),
            t("Name"),
            t("Role"),
            t.zoned("Created at"),
            t.zoned("Last used"),
            t.zoned("Revoked"),
        ],
        (
            [
                row["id"],
                row["name"],
                t.term("role", row["role"]),
                t.instant(row["created_at"]),
                t.instant(row["last_used_at"]),
                t.instant(row["revoked_at"]),
            ]
            for row in tokens
        ),
    )


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(..., help="Id of the token, from 'token list'."),
) -> None:
    """Revoke a token: requests with it are rejected from now on."""
    workspace = load_workspace()
    with workspace.open_store() as store:
        info = revoke_token(store, token_id)
    t = Labels.of(workspace)
    message = t("revoked token %(id)s (%(name)s)", id=info.id, name=info.name)
    console.print(message, highlight=False)
