"""Upload validation: type sniffed from the bytes, size and pixel limits, metadata, thumbnails.

Everything here is blocking (Pillow, PyAV); callers run it in a worker thread.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, ImageOps, UnidentifiedImageError

from vertex_ar.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
THUMBNAIL_SIDE = 480
# What phone browsers (iOS Safari, Android Chrome) play as uploaded, before the rendition is made.
_PLAYABLE_CODECS = {"h264"}
_PLAYABLE_PIX_FMTS = {"yuv420p", "yuvj420p"}


MAX_FILENAME = 255


def clean_filename(name: str) -> str | None:
    """An uploaded file's name fit to show and to offer as a download name: the last path part
    (browsers or tools may send a whole path), without control characters, NFC, at most 255
    characters keeping the extension; None when nothing is left. Never used in a storage key."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not base:
        return None
    if len(base) > MAX_FILENAME:
        _, dot, extension = base.rpartition(".")
        keep = extension if dot and len(extension) <= 16 else ""
        base = base[: MAX_FILENAME - len(keep) - 1] + "." + keep if keep else base[:MAX_FILENAME]
    return base


def sniff(head: bytes) -> str | None:
    """The media type from a file's first bytes (at least 64), or None when unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return "video/webm"
    return None


def sniff_file(path: Path) -> str | None:
    with path.open("rb") as f:
        return sniff(f.read(64))


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int
    path: Path  # the file to store: the upload itself, or a re-encoded copy with EXIF applied


def validate_image(path: Path, field: str, max_pixels: int) -> ImageInfo:
    mime = sniff_file(path)
    if mime not in IMAGE_TYPES:
        raise UnsupportedMedia(
            f"{field}: not a JPEG, PNG or WebP image (detected from the file's bytes)",
            details={"field": field, "detected": mime},
        )
    try:
        with Image.open(path) as img:
            if img.format != _PIL_FORMATS[mime]:
                raise InvalidInput(f"{field}: the image data is not valid {IMAGE_TYPES[mime]}")
            width, height = img.size
            if width * height > max_pixels:
                raise PayloadTooLarge(
                    f"{field}: {width}×{height} is {width * height / 1e6:.1f} MP; "
                    f"the limit is {max_pixels / 1e6:.0f} MP",
                    details={"field": field, "width": width, "height": height},
                )
            img.load()  # decodes everything: a truncated or corrupt file fails here
            oriented = ImageOps.exif_transpose(img)
            if oriented is img:
                return ImageInfo(mime, width, height, path)
            fixed = path.with_name(path.name + ".oriented")
            save_args = {"quality": 95} if mime != "image/png" else {}
            oriented.save(fixed, format=_PIL_FORMATS[mime], **save_args)
            return ImageInfo(mime, oriented.width, oriented.height, fixed)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise InvalidInput(
            f"{field}: the image is corrupt or truncated ({exc})", details={"field": field}
        ) from exc


@dataclass(frozen=True)
class VideoInfo:
    mime: str
    duration_seconds: float | None
    width: int
    height: int
    thumbnail: Path
    codec: str
    original_playable: bool


def validate_video(path: Path, field: str, max_pixels: int) -> VideoInfo:
    mime = sniff_file(path)
    if mime not in VIDEO_TYPES:
        raise UnsupportedMedia(
            f"{field}: not an MP4, QuickTime or WebM video (detected from the file's bytes)",
            details={"field": field, "detected": mime},
        )
    thumbnail = path.with_name(path.name + ".thumb.jpg")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InvalidInput(f"{field}: the file has no video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            pix_fmt = stream.codec_context.format.name if stream.codec_context.format else None
            # The size the stream declares, refused before any frame is decoded into memory.
            declared_width, declared_height = (
                stream.codec_context.width,
                stream.codec_context.height,
            )
            if declared_width * declared_height > max_pixels:
                raise PayloadTooLarge(
                    f"{field}: {declared_width}×{declared_height} is "
                    f"{declared_width * declared_height / 1e6:.1f} MP; the limit for videos is "
                    f"{max_pixels / 1e6:.1f} MP",
                    details={"field": field, "width": declared_width, "height": declared_height},
                )
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            frame = next(container.decode(stream), None)
            if frame is None:
                raise InvalidInput(f"{field}: the video has no decodable frame")
            image = frame.to_image()  # type: ignore[no-untyped-call]
            width, height = image.size
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            image.convert("RGB").save(thumbnail, format="JPEG", quality=85)
    except av.FFmpegError as exc:
        raise InvalidInput(
            f"{field}: the video is corrupt or unreadable ({exc})", details={"field": field}
        ) from exc
    playable = mime != "video/webm" and codec in _PLAYABLE_CODECS and pix_fmt in _PLAYABLE_PIX_FMTS
    return VideoInfo(mime, duration, width, height, thumbnail, codec, playable)
