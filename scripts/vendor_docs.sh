#!/usr/bin/env bash
# Vendor the API documentation pages' assets (/docs: Swagger UI, /redoc: ReDoc) into the
# static folder, from their npm packages, so the pages work without a CDN.
#   ./scripts/vendor_docs.sh [SWAGGER_UI_VERSION] [REDOC_VERSION]   (default: pinned below)
# Copies swagger-ui-bundle.js, swagger-ui.css and redoc.standalone.js with their licences
# into app/web/static/docs/ and records the versions and the files' SHA-256 in VERSION
# there. app/api/docs.py serves the pages. To update, run it with the new versions, run
# tests/foundation/test_docs_pages.py, look at /docs and /redoc in a browser, and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
SWAGGER_UI_VERSION="${1:-5.35.0}"
REDOC_VERSION="${2:-2.5.4}"
TARGET=app/web/static/docs
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/swagger" "$WORK/redoc"
(cd "$WORK/swagger" && npm pack --silent "swagger-ui-dist@${SWAGGER_UI_VERSION}" >/dev/null \
  && tar -xzf swagger-ui-dist-*.tgz)
(cd "$WORK/redoc" && npm pack --silent "redoc@${REDOC_VERSION}" >/dev/null && tar -xzf redoc-*.tgz)
rm -rf "$TARGET"
mkdir -p "$TARGET"
cp "$WORK/swagger/package/swagger-ui-bundle.js" "$WORK/swagger/package/swagger-ui.css" "$TARGET/"
cp "$WORK/swagger/package/LICENSE" "$TARGET/LICENSE.swagger-ui"
cp "$WORK/redoc/package/bundles/redoc.standalone.js" "$TARGET/"
cp "$WORK/redoc/package/LICENSE" "$TARGET/LICENSE.redoc"
{
  echo "swagger-ui-dist@${SWAGGER_UI_VERSION} (npm pack: swagger-ui-bundle.js, swagger-ui.css)"
  echo "redoc@${REDOC_VERSION} (npm pack: bundles/redoc.standalone.js)"
  (cd "$TARGET" && sha256sum swagger-ui-bundle.js swagger-ui.css redoc.standalone.js)
} > "$TARGET/VERSION"
echo "Swagger UI ${SWAGGER_UI_VERSION} and ReDoc ${REDOC_VERSION} vendored into ${TARGET}"
