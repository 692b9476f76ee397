# Sourced by run.sh and test.sh: make .venv with a Python >= 3.11 and install the project.
# Usage: ensure_venv "<pip extras spec>"   e.g. ensure_venv "." or ensure_venv ".[dev]"
ensure_venv() {
  local spec="$1" python="${PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
         "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$candidate"; break
      fi
    done
  fi
  if [ -z "$python" ]; then
    echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  # Reinstall only when pyproject.toml changed since the last install.
  local stamp=".venv/.installed-$(echo "$spec" | tr -c 'a-z' '_')"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e "$spec"
    touch "$stamp"
  fi
}
