"""Authentication (JWT bearer) and the auth subject that scopes every query to a tenant."""
