"""The media half of a backup: every object of the platform's local storage, copied with its
SHA-256; restore copies them back (temp file + rename) and checks every byte against the manifest.

Objects of companies whose media live on their own connections (S3, Yandex Disk, another local
folder) are not in the platform's storage and not in the backup: those backends keep them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from vertex_ar.backups.manifest import FileEntry, MediaObject, copy_hashed, sha256_of

MEDIA_FOLDER = "media"


def stored_objects(root: Path) -> list[Path]:
    """Every object under the storage root, sorted; hidden files (temp writes, probes) skipped."""
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def copy_media(root: Path, folder: Path) -> tuple[list[MediaObject], dict[str, FileEntry]]:
    """Copy every object into `folder/media/<key>`: (manifest objects, backup files)."""
    objects: list[MediaObject] = []
    files: dict[str, FileEntry] = {}
    for path in stored_objects(root):
        key = path.relative_to(root).as_posix()
        try:
            entry = copy_hashed(path, folder / MEDIA_FOLDER / key)
        except FileNotFoundError:
            continue  # deleted while we walked: it is gone from the platform too
        objects.append(MediaObject(key=key, size=entry.size, sha256=entry.sha256))
        files[f"{MEDIA_FOLDER}/{key}"] = entry
    return objects, files


@dataclass
class MediaRestore:
    restored: int = 0
    unchanged: int = 0
    bytes_written: int = 0
    problems: list[str] = field(default_factory=list)


def restore_media(folder: Path, objects: list[MediaObject], root: Path) -> MediaRestore:
    """Put every object of the manifest back under `root`, each checked against its SHA-256."""
    report = MediaRestore()
    resolved_root = root.resolve()
    for item in objects:
        source = folder / MEDIA_FOLDER / item.key
        target = (resolved_root / item.key).resolve()
        if not target.is_relative_to(resolved_root):
            report.problems.append(f"{item.key}: key escapes the storage root, skipped")
            continue
        if not source.is_file():
            report.problems.append(f"{item.key}: missing from the backup")
            continue
        if target.is_file() and sha256_of(target).sha256 == item.sha256:
            report.unchanged += 1
            continue
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            entry = copy_hashed(source, partial)
            if (entry.size, entry.sha256) != (item.size, item.sha256):
                report.problems.append(
                    f"{item.key}: checksum mismatch (backup file {entry.sha256[:12]}…, "
                    f"manifest {item.sha256[:12]}…), not restored"
                )
                continue
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        report.restored += 1
        report.bytes_written += entry.size
    return report
