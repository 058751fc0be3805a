"""Media storage: one interface and its backends (local disk, S3/MinIO, Yandex Disk)."""
