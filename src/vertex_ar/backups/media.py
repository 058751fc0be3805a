"""The media half of a backup: every object of the platform's local storage, copied with its
SHA-256; restore copies them back (temp file + rename) and checks every byte against the manifest.

Objects of companies whose media live on their own connections (S3, Yandex Disk, another local
folder) are not in the platform's storage and not in the backup: those backends keep them.
"""

from __future__ import annotations

import os
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


@dataclass
class MediaCopy:
    objects: list[MediaObject] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)
    linked: int = 0  # hard links to the previous backup's identical file (no bytes written)


def copy_media(
    root: Path,
    folder: Path,
    previous: Path | None = None,
    known: dict[str, MediaObject] | None = None,
) -> MediaCopy:
    """Copy every object into `folder/media/<key>`. An object the previous backup (`previous`,
    its manifest's objects `known`) holds with the same SHA-256, checked on both sides, is hard
    linked instead: keys are never rewritten, so backups share their unchanged media on disk."""
    result = MediaCopy()
    known = known or {}
    for path in stored_objects(root):
        key = path.relative_to(root).as_posix()
        target = folder / MEDIA_FOLDER / key
        try:
            entry = _link_unchanged(path, target, previous, known.get(key))
            if entry is None:
                entry = copy_hashed(path, target)
            else:
                result.linked += 1
        except FileNotFoundError:
            continue  # deleted while we walked: it is gone from the platform too
        result.objects.append(MediaObject(key=key, size=entry.size, sha256=entry.sha256))
        result.files[f"{MEDIA_FOLDER}/{key}"] = entry
    return result


def _link_unchanged(
    source: Path, target: Path, previous: Path | None, before: MediaObject | None
) -> FileEntry | None:
    if previous is None or before is None or source.stat().st_size != before.size:
        return None
    old = previous / MEDIA_FOLDER / before.key
    entry = sha256_of(source)
    if entry.sha256 != before.sha256 or not old.is_file() or sha256_of(old) != entry:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(old, target)
    except OSError:  # another file system, or links not allowed: copy instead
        return None
    return entry


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
