#!/usr/bin/env bash
# Install abmkpi into .venv and build the demo workspace; extra arguments go
# to 'abmkpi demo' (for example --accounts 500).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/abmkpi demo --force "$@"
