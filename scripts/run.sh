#!/usr/bin/env bash
# Install everything into .venv and start the service with demo data on SQLite.
#   ./scripts/run.sh                 http://127.0.0.1:8000
#   HOST=0.0.0.0 PORT=9000 ./scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv "."
mkdir -p var
.venv/bin/invest-kainuu migrate
.venv/bin/invest-kainuu demo-data
echo
echo "Open http://${HOST:-127.0.0.1}:${PORT:-8000}/ and log in with a demo account above."
echo "API docs: http://${HOST:-127.0.0.1}:${PORT:-8000}/docs   (stop with Ctrl-C)"
exec .venv/bin/invest-kainuu serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
