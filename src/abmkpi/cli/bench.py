"""The ``bench`` command: time the main operations at a chosen size."""

from __future__ import annotations

from pathlib import Path

import typer

from abmkpi.cli import app, console
from abmkpi.cli.common import OutputFormat, print_csv, print_json, print_table

STAGE_COLUMNS = ("name", "seconds", "peak_memory_mib", "detail")


@app.command()
def bench(
    directory: Path = typer.Option(
        Path("bench-workspace"),
        "--dir",
        help="Directory of the demo workspace to build, or to reuse when an "
        "earlier run built it with the same size and seed.",
    ),
    accounts: int = typer.Option(2000, min=50, help="Number of accounts."),
    activities: int = typer.Option(
        150_000, min=100, help="Approximate number of activities."
    ),
    people_per_account: float = typer.Option(
        6.0, min=1, help="Mean people per account."
    ),
    targets: int = typer.Option(15, min=1, help="Number of target accounts."),
    seed: int = typer.Option(7, help="Random seed of the demo data."),
    import_rows: int = typer.Option(
        10_000, min=1, help="Activities in the timed CSV import."
    ),
    batch_size: int = typer.Option(
        500, min=1, max=10_000, help="Events in the timed ingest batch."
    ),
    force: bool = typer.Option(
        False, help="Rebuild the workspace even when it could be reused."
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", help="Output format."
    ),
) -> None:
    """Time import, matching, the KPIs of a quarter, the account list and an
    ingest batch on a demo workspace, with peak memory."""
    from abmkpi.bench import run_bench
    from abmkpi.demo.generator import DemoSize

    try:
        size = DemoSize(
            accounts=accounts,
            activities=activities,
            people_per_account=people_per_account,
            target_accounts=targets,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    with console.status("benchmarking…"):
        report = run_bench(directory, size, seed, force, import_rows, batch_size)
    if output == OutputFormat.JSON:
        print_json(report.to_dict())
        return
    stages = [
        {**stage.__dict__, "seconds": round(stage.seconds, 3)}
        for stage in report.stages
    ]
    if output == OutputFormat.CSV:
        print_csv(STAGE_COLUMNS, stages)
        return
    rows = report.rows
    print_table(
        f"{report.directory}: {rows['accounts']:,} accounts, {rows['people']:,} "
        f"people, {rows['activities']:,} activities"
        f"{' (reused)' if report.reused else ''}; KPIs of {report.period}",
        ["stage", "seconds", "peak memory (MiB)", "what"],
        (
            [
                stage.name,
                f"{stage.seconds:.2f}",
                f"{stage.peak_memory_mib:,.0f}",
                stage.detail,
            ]
            for stage in report.stages
        ),
        right=(1, 2),
    )
