from tests.api.conftest import superadmin, tenant_a, tenant_b  # noqa: F401
