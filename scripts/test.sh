#!/usr/bin/env bash
# Install everything into .venv and run the whole test suite.
# PostgreSQL: TEST_DATABASE_URL if set, else a testcontainers PostgreSQL where Docker
# runs, else SQLite with a loud warning (never in CI, where CI=true makes that fatal).
#   TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test ./scripts/test.sh
# Extra arguments go to pytest, e.g. ./scripts/test.sh tests/foundation -x
# One pytest-xdist worker per core (at most four), each on a database of its own;
# TEST_WORKERS=0 runs serially.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv ".[dev]"
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --maxprocesses=4 "$@"
