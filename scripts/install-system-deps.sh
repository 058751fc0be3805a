#!/usr/bin/env bash
# Debian packages the app and the test suite need: a real browser, ffmpeg (the web renditions of
# uploaded videos, and test videos), nginx (nginx -t
# and a loopback edge), prometheus for promtool, the PostgreSQL client tools (pg_dump, pg_restore, psql) for
# `vertex-ar backup` and its tests,
# wrk for benchmarks/scan_path.py.
# Installs only what is missing; needs root (CI and the dev machines run as root).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v promtool >/dev/null || need+=(prometheus)
command -v pg_restore >/dev/null && command -v psql >/dev/null || need+=(postgresql-client)
command -v wrk >/dev/null || need+=(wrk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]} (install them with apt-get as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
