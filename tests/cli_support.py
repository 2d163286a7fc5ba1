"""Running the real ``abmkpi`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_cli(
    *args: str | Path, check: bool = True, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m abmkpi ARGS`` with tables ``columns`` characters wide
    and return the finished process."""
    environment = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    environment.pop("ABMKPI_WORKSPACE", None)
    result = subprocess.run(
        [sys.executable, "-m", "abmkpi", *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        # A command that unexpectedly serves or waits fails the test, not CI.
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"abmkpi {' '.join(map(str, args))} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def run_json(*args: str | Path) -> Any:
    return json.loads(run_cli(*args, "--format", "json").stdout)
