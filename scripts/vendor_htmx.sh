#!/usr/bin/env bash
# Vendor htmx's built file into the staff UI's static folder, from the npm package.
#   ./scripts/vendor_htmx.sh [VERSION]      (default: the version pinned below)
# Copies htmx.min.js and the licence into app/web/static/htmx/ and records the version in
# VERSION there. The staff pages configure it in base.html (meta htmx-config) for the
# strict CSP: no eval, no inline indicator styles. To update, run it with the new
# version, run the browser tests (tests/browser/test_design_system.py), and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-2.0.11}"
TARGET=app/web/static/htmx
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "htmx.org@${VERSION}" >/dev/null && tar -xzf htmx.org-*.tgz)
rm -rf "$TARGET"
mkdir -p "$TARGET"
cp "$WORK/package/dist/htmx.min.js" "$TARGET/"
cp "$WORK/package/LICENSE" "$TARGET/LICENSE"
echo "htmx.org@${VERSION} (npm pack, dist/htmx.min.js)" > "$TARGET/VERSION"
echo "htmx ${VERSION} vendored into ${TARGET}"
