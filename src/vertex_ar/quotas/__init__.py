"""Per-company quotas: storage bytes, content items, videos per content item."""
