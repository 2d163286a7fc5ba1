#!/usr/bin/env bash
# Install abmkpi into .venv, then run the linters, the type checker and the
# tests. The tests read the public sample exports from ../shared (or
# $ABMKPI_SHARED).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff format --check src tests
.venv/bin/ruff check src tests
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 "$@"
