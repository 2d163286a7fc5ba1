"""Commands that create workspaces: init and demo."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

import tomlkit
import typer
from tomlkit.items import Table as TomlTable

from abmkpi.cli import app, console
from abmkpi.cli.common import OutputFormat
from abmkpi.cli.labels import Labels
from abmkpi.cli.serve import host_option, port_option, serve_workspace
from abmkpi.errors import WorkspaceError

if TYPE_CHECKING:
    from abmkpi.demo.generator import DemoSummary
    from abmkpi.workspace import Workspace


@app.command()
def init(
    directory: Path = typer.Argument(..., help="Directory to create the workspace in."),
    name: str | None = typer.Option(None, help="Workspace name shown in reports."),
    time_zone: str | None = typer.Option(None, help="Business time zone (IANA name)."),
    currency: str | None = typer.Option(None, help="Reporting currency (ISO 4217)."),
    fiscal_start_month: int | None = typer.Option(
        None, min=1, max=12, help="Month the fiscal year starts in (1-12)."
    ),
    fiscal_naming: str | None = typer.Option(
        None, help="Name fiscal years by 'start_year' or 'end_year'."
    ),
) -> None:
    """Create a workspace: a commented config file and an empty store."""
    from abmkpi.config import settings_from_dict
    from abmkpi.config_template import default_config_text
    from abmkpi.workspace import Workspace

    document = tomlkit.parse(default_config_text())
    workspace_table = cast(TomlTable, document["workspace"])
    fiscal_table = cast(TomlTable, document["fiscal"])
    if name:
        workspace_table["name"] = name
    if time_zone:
        workspace_table["time_zone"] = time_zone
    if currency:
        workspace_table["reporting_currency"] = currency.upper()
    if fiscal_start_month:
        fiscal_table["start_month"] = fiscal_start_month
    if fiscal_naming:
        fiscal_table["naming"] = fiscal_naming
    text = tomlkit.dumps(document)
    settings_from_dict(tomlkit.parse(text).unwrap())
    workspace = Workspace.init(directory, text)
    t = Labels.of(workspace)
    console.print(t("created workspace %(path)s", path=workspace.root))
    console.print("  " + t("config: %(path)s", path=workspace.config_path))
    console.print("  " + t("store: %(path)s", path=workspace.store_path))
    command = f"abmkpi -w {directory} import salesforce EXPORT_DIR"
    console.print(t("next: %(command)s", command=command))


def _parse_end_date(text: str | None) -> date | None:
    from abmkpi.periods import MAX_YEAR, MIN_YEAR

    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(
            f"{text!r} is not a date such as 2025-03-31", param_hint="--end-date"
        ) from error
    if not MIN_YEAR + 2 <= day.year <= MAX_YEAR:
        raise typer.BadParameter(
            f"{text!r} is outside the years {MIN_YEAR + 2} to {MAX_YEAR}",
            param_hint="--end-date",
        )
    return day


def _empty_folder(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


def _demo_summary(workspace: Workspace, summary: DemoSummary, t: Labels) -> str:
    """Return what the demo generated, as ``DemoSummary.describe`` does in
    English."""
    return t(
        "demo workspace %(path)s: generated %(accounts)s accounts (%(targets)s "
        "targets), %(people)s people, %(activities)s activities and "
        "%(opportunities)s opportunities from %(start)s to %(end)s in "
        "%(seconds)s s",
        path=workspace.root,
        accounts=format(summary.rows["accounts"], ","),
        targets=len(summary.targets),
        people=format(summary.rows["people"], ","),
        activities=format(summary.rows["activities"], ","),
        opportunities=format(summary.rows["opportunities"], ","),
        start=t.date(summary.start_date),
        end=t.date(summary.end_date),
        seconds=format(summary.seconds, ".1f"),
    )


@app.command()
def demo(
    directory: Path = typer.Option(
        Path("demo-workspace"), "--dir", help="Directory of the demo workspace."
    ),
    accounts: int = typer.Option(2000, min=50, help="Number of accounts."),
    activities: int = typer.Option(
        150_000, min=100, help="Approximate number of activities."
    ),
    people_per_account: float = typer.Option(
        6.0, min=1, help="Mean people per account."
    ),
    targets: int | None = typer.Option(
        None,
        min=1,
        help="Number of target accounts [default: 15, or a fifth of the accounts "
        "when that is fewer].",
    ),
    seed: int = typer.Option(
        7, help="Random seed; the same seed and end date give the same data."
    ),
    end_date: str | None = typer.Option(
        None, help="Last day of generated data (YYYY-MM-DD); default yesterday."
    ),
    force: bool = typer.Option(False, help="Replace an existing demo workspace."),
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Only build the workspace; do not serve it."
    ),
    host: str = host_option(),
    port: int = port_option(),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Build a realistic synthetic workspace, show its KPIs, then serve it."""
    from abmkpi.cli.reports import show_kpis
    from abmkpi.demo.generator import DemoSize, generate
    from abmkpi.workspace import Workspace

    # Every option is checked before anything is written or deleted.
    try:
        size = DemoSize(
            accounts=accounts,
            activities=activities,
            people_per_account=people_per_account,
            target_accounts=targets if targets is not None else min(15, accounts // 5),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    last_day = _parse_end_date(end_date)
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise WorkspaceError(
                f"{directory} is not empty; pass --force to replace the demo workspace"
            )
        if not (directory / "abmkpi.toml").exists():
            raise WorkspaceError(
                f"{directory} is not a workspace; refusing to delete it"
            )
        shutil.rmtree(directory)
    created = not directory.exists()
    workspace = Workspace.init(directory)
    try:
        with console.status("generating the demo workspace…"):
            summary = generate(workspace, size, seed=seed, end_date=last_day)
    except BaseException:
        # A half-built demo would pass for a workspace; remove what was made.
        if created:
            shutil.rmtree(directory)
        else:
            _empty_folder(directory)
        raise
    t = Labels.of(workspace)
    if output == OutputFormat.TABLE:
        console.print(_demo_summary(workspace, summary, t))
    calendar = workspace.calendar
    current = calendar.fiscal_quarter_of(summary.end_date)
    latest = calendar.previous(current)[0]
    show_kpis(workspace, latest, None, output)
    if output == OutputFormat.TABLE:
        console.print("\n" + t("explore:"))
        console.print(f"  abmkpi -w {directory} accounts --sort score --targets")
        console.print(f"  abmkpi -w {directory} kpi --period {latest.id}")
    if not no_serve:
        serve_workspace(workspace, host, port)
