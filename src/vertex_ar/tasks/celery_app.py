"""The worker's Celery app (`celery -A vertex_ar.tasks.celery_app worker`), from the environment."""

from vertex_ar.core.settings import get_settings
from vertex_ar.observability.celery_signals import connect_celery_metrics
from vertex_ar.tasks.config import create_celery

celery_app = create_celery(get_settings())
connect_celery_metrics(celery_app)
