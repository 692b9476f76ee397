#!/usr/bin/env bash
# Vendor Leaflet's built files into the portal's static folder, from the npm package.
#   ./scripts/vendor_leaflet.sh [VERSION]      (default: the version pinned below)
# Copies leaflet.js, leaflet.css, the marker images and the licence into
# app/web/static/portal/leaflet/ and records the version in VERSION there. To update,
# run it with the new version, check the portal map in a browser, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-1.9.4}"
TARGET=app/web/static/portal/leaflet
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "leaflet@${VERSION}" >/dev/null && tar -xzf leaflet-*.tgz)
rm -rf "$TARGET"
mkdir -p "$TARGET/images"
cp "$WORK/package/dist/leaflet.js" "$WORK/package/dist/leaflet.css" "$TARGET/"
cp "$WORK/package/dist/images/"*.png "$TARGET/images/"
cp "$WORK/package/LICENSE" "$TARGET/LICENSE"
echo "leaflet@${VERSION} (npm pack, dist/)" > "$TARGET/VERSION"
echo "Leaflet ${VERSION} vendored into ${TARGET}"
