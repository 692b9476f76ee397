"""The demo data set, for development and test databases: a region as it looks on
first start. Only the command line (`app/cli.py`), scripts and tests import it; no
service does (the demo modules call the services, never the other way round)."""

from app.demo.context import COORDINATOR_LOGIN, DEMO_PASSWORD, DemoReport, demo_domain
from app.demo.loader import load_demo_data

__all__ = ["COORDINATOR_LOGIN", "DEMO_PASSWORD", "DemoReport", "demo_domain", "load_demo_data"]
