"""The lead pipeline's HTTP helpers serve the privacy tests too."""

from tests.leads.conftest import pipeline

__all__ = ["pipeline"]
