"""Per-company look of the public viewer: logo, accent colour, start text, public address."""
