"""What `abmkpi demo` prints: the quarter it shows and the next steps."""

from __future__ import annotations

from pathlib import Path

from tests.cli_support import run_cli


def test_demo_suggests_printed_quarter(tmp_path: Path) -> None:
    # Data ending 2025-03-31 lies in FY2024-Q4 (January to March, fiscal years
    # from April), which is still running, so the latest complete quarter is
    # FY2024-Q3.
    directory = tmp_path / "demo"
    output = run_cli(
        "--lang", "en", "demo", "--no-serve", "--dir", directory,
        "--accounts", "200", "--activities", "2000", "--end-date", "2025-03-31",
    ).stdout  # fmt: skip
    assert "FY2024 Q3 (2024-10-01 – 2024-12-31)" in output
    assert f"abmkpi -w {directory} kpi --period FY2024-Q3" in output
    assert "FY2024-Q4" not in output
