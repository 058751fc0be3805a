"""Users: superadmins of the platform and admins of one company."""
