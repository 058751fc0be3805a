"""Companies: the tenants of the platform."""
