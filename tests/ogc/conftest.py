"""Open data tests: published sites from the portal's builder, and a live server for the
independent OGC API client (the browser tests' server: demo data on a fresh database)."""

from tests.browser.conftest import live_server
from tests.portal.conftest import portal_settings, publish

__all__ = ["live_server", "portal_settings", "publish"]
