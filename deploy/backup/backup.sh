#!/bin/sh
# Backup of Vertex AR: a PostgreSQL dump (custom format, for pg_restore) and an archive of the
# local media, written to BACKUP_DIR under temporary names and renamed when complete; backups
# older than BACKUP_KEEP_DAYS are pruned. libpq reads the connection from PGHOST, PGUSER,
# PGPASSWORD and PGDATABASE.
set -eu
dir="${BACKUP_DIR:?BACKUP_DIR is required}"
keep="${BACKUP_KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dir"
trap 'rm -f "$dir/.db-$stamp.partial" "$dir/.media-$stamp.partial"' EXIT

pg_dump --format=custom --no-owner --file="$dir/.db-$stamp.partial"
mv "$dir/.db-$stamp.partial" "$dir/vertex_ar-db-$stamp.dump"
echo "database: $dir/vertex_ar-db-$stamp.dump"

if [ -n "${MEDIA_DIR:-}" ]; then
  tar -C "$MEDIA_DIR" -czf "$dir/.media-$stamp.partial" .
  mv "$dir/.media-$stamp.partial" "$dir/vertex_ar-media-$stamp.tar.gz"
  echo "media: $dir/vertex_ar-media-$stamp.tar.gz"
fi

find "$dir" -maxdepth 1 -type f -name 'vertex_ar-*' -mtime +"$keep" -print -delete
