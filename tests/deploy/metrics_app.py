"""Uvicorn factory for tests: the real app, with metrics installed if create_app lacks them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from vertex_ar.core.app import create_app
from vertex_ar.observability.endpoints import METRICS_PATH, install_metrics


def has_metrics(application: FastAPI) -> bool:
    return any(r.path_format == METRICS_PATH for r in iter_route_contexts(application.routes))


def with_metrics(application: FastAPI) -> FastAPI:
    if not has_metrics(application):
        install_metrics(application)
    return application


def app() -> FastAPI:
    return with_metrics(create_app())
