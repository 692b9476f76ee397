"""The intake tests fill the portal's inquiry form instantly, as the portal tests do."""

from __future__ import annotations

from tests.portal.conftest import portal_settings

__all__ = ["portal_settings"]
