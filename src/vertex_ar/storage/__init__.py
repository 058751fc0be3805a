"""Media storage: one interface, per-company backends (local disk here; S3 and Yandex Disk later)."""
