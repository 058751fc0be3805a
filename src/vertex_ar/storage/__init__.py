"""Media storage: one interface, per-company backends (local disk, S3/MinIO, Yandex Disk)."""
