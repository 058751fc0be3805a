"""Analytics of viewer sessions."""
