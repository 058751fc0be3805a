"""Transition only: tests/connections/{test_faults,test_migration,test_scenario}.py import these
helpers from here until their next commit; the helpers live in tests/support/. Delete then."""

from tests.support.api import Api
from tests.support.content import create_content, storage_files

__all__ = ["Api", "create_content", "storage_files"]
