#!/bin/sh
# Entrypoint of every container built from the Vertex AR image (app, workers, beat, migrate).
# Empties the prometheus-client multiprocess directory before the server starts: samples left by a
# previous run would otherwise be added to the new one. Then runs the container's command.
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec "$@"
