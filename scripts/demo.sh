#!/usr/bin/env bash
# Install abmkpi into .venv, build the demo workspace and serve its dashboard
# at http://127.0.0.1:8000/ (Ctrl+C stops). Extra arguments go to 'abmkpi
# demo', for example --no-serve (only build) or --accounts 500.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/abmkpi demo --force "$@"
