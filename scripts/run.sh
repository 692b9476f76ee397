#!/usr/bin/env bash
# Install everything into .venv and start the service with demo data on SQLite.
#   ./scripts/run.sh                 http://127.0.0.1:8000
#   HOST=0.0.0.0 PORT=9000 ./scripts/run.sh
# The links the service writes (e-mails, feeds, embed snippets) use BASE_URL; unless it is
# set, it follows HOST and PORT (a wildcard HOST is reached as 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
case "$HOST" in
  0.0.0.0 | ::) LINK_HOST=127.0.0.1 ;;
  *:*) LINK_HOST="[$HOST]" ;;
  *) LINK_HOST="$HOST" ;;
esac
export BASE_URL="${BASE_URL:-http://${LINK_HOST}:${PORT}}"
source scripts/_venv.sh
ensure_venv "."
mkdir -p var
.venv/bin/invest-kainuu migrate
.venv/bin/invest-kainuu demo-data
echo
echo "Open ${BASE_URL}/ and log in with a demo account above."
echo "API docs: ${BASE_URL}/docs   (stop with Ctrl-C)"
exec .venv/bin/invest-kainuu serve --host "$HOST" --port "$PORT"
