"""The leads pipeline builders (through the HTTP API), shared with the ledger tests."""

from tests.leads.conftest import Pipeline, pipeline, problem_fields

__all__ = ["Pipeline", "pipeline", "problem_fields"]
