"""Background work on Celery: queues markers, notifications, default."""
