"""Prometheus metrics: HTTP, Celery, markers, queues, business numbers; correct across processes."""
