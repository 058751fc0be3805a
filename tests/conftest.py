"""The shared fixtures live in tests/support/fixtures.py, registered here once for every directory;
helpers (API client, tenants, content) are plain modules in tests/support/."""

pytest_plugins = ["tests.support.fixtures"]
