"""ASGI middleware counting requests and timing them by route template, never by raw path.

The raw path carries ids (`/api/ar-content/42`), so labelling by it would create a series per row;
the route template (`/api/ar-content/{id}`) is bounded by the code. Requests that match no route
share one label.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from prometheus_client import Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vertex_ar.core.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS

UNMATCHED_ROUTE = "<unmatched>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
KNOWN_PATHS = 4096


class RouteTemplates:
    """Finds the template of the route a request matched, as the app's router would."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._contexts: Sequence[RouteContext] | None = None
        # Matching walks every route with its regex; a print scanned again asks the same path.
        self._known: OrderedDict[tuple[str, str, str], str] = OrderedDict()

    def _routes(self) -> Sequence[RouteContext]:
        # Built on first use: routers are usually included after the middleware is installed.
        if self._contexts is None:
            self._contexts = list(iter_route_contexts(self._app.routes))
        return self._contexts

    def template(self, method: str, path: str, root_path: str) -> str:
        key = (method, path, root_path)
        template = self._known.get(key)
        if template is None:
            template = self._match(method, path, root_path)
            self._known[key] = template
            if len(self._known) > KNOWN_PATHS:
                self._known.popitem(last=False)
        return template

    def _match(self, method: str, path: str, root_path: str) -> str:
        probe: Scope = {"type": "http", "method": method, "path": path, "root_path": root_path}
        partial: str | None = None
        for route in self._routes():
            match, _ = route.matches(probe)
            if match is Match.FULL:
                return route.path_format or UNMATCHED_ROUTE
            if match is Match.PARTIAL and partial is None:
                # Path matched, method did not (405): still the route's template.
                partial = route.path_format
        return partial or UNMATCHED_ROUTE


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, fastapi_app: FastAPI, skip_paths: frozenset[str]) -> None:
        self.app = app
        self.routes = RouteTemplates(fastapi_app)
        self.skip_paths = skip_paths
        self._known: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        path, root_path = scope["path"], scope.get("root_path", "")
        status = 500  # if the app raises before answering, the server answers 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = self.routes.template(scope["method"], path, root_path)
            counter, histogram = self._series(method, route, status)
            counter.inc()
            histogram.observe(elapsed)

    def _series(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        """The labelled series (`labels()` takes a lock and builds a key on every call)."""
        key = (method, route, status)
        series = self._known.get(key)
        if series is None:
            labels = (method, route, str(status))
            series = (HTTP_REQUESTS.labels(*labels), HTTP_REQUEST_DURATION.labels(*labels))
            self._known[key] = series  # bounded: methods x route templates x statuses
        return series
