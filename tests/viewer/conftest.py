from tests.api.conftest import superadmin, tenant_a, tenant_b  # noqa: F401
from tests.viewer.fixtures import clips  # noqa: F401
