"""Health of the platform and its dependencies."""
