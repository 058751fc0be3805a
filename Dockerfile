# syntax=docker/dockerfile:1
# Vertex AR: one image for the web app, the Celery worker, Celery Beat and the one-shot migration.

# --- Viewer assets: MindAR and three.js exactly as package-lock.json pins them.
FROM node:20.18.1-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- Python dependencies and the project, exactly as uv.lock pins them, into /app/.venv.
FROM python:3.11-slim AS build
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install uv==0.13.9
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes, not on every code edit.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

# --- Runtime: the virtualenv, the viewer assets, ffmpeg for video metadata, curl for the health check,
# the PostgreSQL client tools (pg_dump, pg_restore, psql; 15, as the server) for `vertex-ar backup`.
FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/app/.venv/bin:$PATH \
    WEB_CONCURRENCY=4 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/vertex-ar-metrics \
    DATA_DIR=/app/var \
    STORAGE_ROOT=/app/storage \
    NODE_MODULES_DIR=/app/node_modules
# The base image tag is the pin: Debian security updates replace exact package versions, so
# pinning them (DL3008) would break rebuilds instead of making them reproducible.
# ffmpeg makes the videos' web renditions (libx264, see README "Video renditions").
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg curl postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 1000 appuser \
    && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /app --shell /usr/sbin/nologin appuser
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY --from=assets /build/node_modules /app/node_modules
COPY deploy/docker-entrypoint.sh /usr/local/bin/vertex-ar-entrypoint
# Brotli and gzip copies of the viewer's browser files, made once here (the app picks one by
# Accept-Encoding); owned by root like the files themselves.
RUN vertex-ar assets precompress > /dev/null
# Named volumes mounted here start with this ownership, so uid 1000 can write media and state.
RUN mkdir -p /app/storage /app/var \
    && chown appuser:appuser /app/storage /app/var
USER 1000:1000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1:8000/api/health/status || exit 1"]
ENTRYPOINT ["vertex-ar-entrypoint"]
# uvicorn reads the worker count from WEB_CONCURRENCY (4 by default, above). X-Forwarded-For is
# applied by the app itself, from FORWARDED_ALLOW_IPS only (Nginx's address in docker-compose.yml).
# uvicorn's access log would print signed media tokens (query strings): the app logs each request
# itself, without the query.
CMD ["uvicorn", "--factory", "vertex_ar.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers", "--no-access-log"]
