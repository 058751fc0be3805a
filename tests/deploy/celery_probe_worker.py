"""The worker side of the probe: `celery -A tests.deploy.celery_probe_worker worker`."""

from __future__ import annotations

import os
from pathlib import Path

from tests.deploy.celery_probe import make_app
from vertex_ar.observability.celery_signals import connect_celery_metrics

app = make_app(Path(os.environ["PROBE_BROKER_DIR"]))
connect_celery_metrics(app)
