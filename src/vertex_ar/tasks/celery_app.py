"""The worker's Celery app (`celery -A vertex_ar.tasks.celery_app worker`), from the environment."""

from typing import Any

from celery.signals import setup_logging

from vertex_ar.core.logging import configure_logging
from vertex_ar.core.settings import get_settings
from vertex_ar.observability.celery_signals import connect_celery_metrics
from vertex_ar.tasks.config import create_celery

celery_app = create_celery(get_settings())
connect_celery_metrics(celery_app)


@setup_logging.connect
def _log_like_the_app(**_: Any) -> None:
    """Celery's records in the app's format: with a receiver here, Celery installs no handlers of
    its own and leaves stdout/stderr alone."""
    configure_logging(get_settings())
