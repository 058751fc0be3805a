"""Receiving multipart uploads as a stream: each file goes in chunks into a private temp folder.

Limits apply while the bytes arrive (an oversized file is refused at the first byte over the
limit, not after the whole body was buffered), nothing is held whole in memory, and client
filenames are never used: temp files and storage keys are random.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from vertex_ar.core.errors import (
    AppError,
    InvalidInput,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMedia,
)
from vertex_ar.core.settings import Settings

MAX_TEXT_FIELD_BYTES = 64 * 1024
MAX_PARTS = 40


@dataclass(frozen=True)
class FileField:
    """A file field's limits, checked as the body arrives: bytes per file and files per request
    (an extra file is refused at its headers, before its bytes are read)."""

    max_bytes: int
    max_count: int = 1


@dataclass
class ReceivedFile:
    field: str
    path: Path
    size: int
    named: bool  # browsers send an unnamed empty part for a file input left empty
    filename: str = ""  # as the client sent it: shown back after content/media.clean_filename


@dataclass
class ReceivedForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[ReceivedFile]] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if value else None


class _PartWriter:
    """The parser's callbacks: one part at a time into a file or a small text buffer."""

    def __init__(self, folder: Path, file_fields: dict[str, FileField]) -> None:
        self.folder = folder
        self.file_fields = file_fields
        self.form = ReceivedForm()
        self.parts = 0
        self.file_counts = dict.fromkeys(file_fields, 0)
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._text: bytearray | None = None
        self._file: BinaryIO | None = None
        self._received: ReceivedFile | None = None

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InvalidInput(f"too many form parts (at most {MAX_PARTS})")
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._disposition)
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise InvalidInput("a form part has no field name")
        self._name = name
        if b"filename" not in params:
            self._text = bytearray()
            return
        if name not in self.file_fields:
            raise InvalidInput(f"unexpected file field {name!r}", details={"field": name})
        self.file_counts[name] += 1
        most = self.file_fields[name].max_count
        if self.file_counts[name] > most:
            raise InvalidInput(
                f"{name}: at most {most} file{'s' if most > 1 else ''} per request",
                details={"field": name, "max_count": most},
            )
        path = self.folder / f"part-{self.parts}"
        # Plain writes on the event loop: chunks are small and land in the page cache.
        self._file = path.open("wb")
        filename = params[b"filename"].decode("utf-8", "replace")
        self._received = ReceivedFile(name, path, 0, filename != "", filename)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is not None and self._received is not None:
            self._received.size += len(chunk)
            limit = self.file_fields[self._name].max_bytes
            if self._received.size > limit:
                raise PayloadTooLarge(
                    f"{self._name}: larger than the limit of {limit // (1024 * 1024)} MB",
                    details={"field": self._name, "limit_bytes": limit},
                )
            self._file.write(chunk)
        elif self._text is not None:
            self._text += chunk
            if len(self._text) > MAX_TEXT_FIELD_BYTES:
                raise PayloadTooLarge(f"{self._name}: the field is too long")

    def on_part_end(self) -> None:
        if self._file is not None and self._received is not None:
            self._file.close()
            if self._received.named or self._received.size:
                self.form.files.setdefault(self._name, []).append(self._received)
        elif self._text is not None:
            self.form.fields[self._name] = self._text.decode("utf-8", "replace")
        self._file = None
        self._received = None
        self._text = None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def receive_multipart(
    request: Request, folder: Path, file_fields: dict[str, FileField], idle_seconds: float
) -> ReceivedForm:
    """Parse a multipart/form-data body into `folder`; `file_fields` names the file fields.

    A client that sends nothing for `idle_seconds` is answered 408. The caller holds no database
    connection while this runs: a slow or stalled upload must not take one from other tenants.
    """
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        names = ", ".join(file_fields)
        raise UnsupportedMedia(
            f"expected a multipart/form-data body with the file field(s): {names}"
        )
    writer = _PartWriter(folder, file_fields)
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": writer.on_part_begin,
            "on_header_field": writer.on_header_field,
            "on_header_value": writer.on_header_value,
            "on_header_end": writer.on_header_end,
            "on_headers_finished": writer.on_headers_finished,
            "on_part_data": writer.on_part_data,
            "on_part_end": writer.on_part_end,
        },
    )
    chunks = request.stream().__aiter__()
    try:
        while True:
            with anyio.move_on_after(idle_seconds) as idle:
                chunk = await anext(chunks, None)
            if idle.cancelled_caught:
                raise RequestTimeout(
                    f"the upload stalled: no data received for {idle_seconds:g} s",
                    details={"idle_seconds": idle_seconds},
                )
            if chunk is None:
                break
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidInput(f"malformed multipart body: {exc}") from exc
    except ClientDisconnect as exc:
        raise AppError("the upload was interrupted", code="upload_interrupted") from exc
    finally:
        writer.close()
    for files in writer.form.files.values():
        for received in files:
            if received.size == 0:
                raise InvalidInput(
                    f"{received.field}: the file is empty", details={"field": received.field}
                )
    return writer.form


def multipart_schema(
    files: dict[str, str],
    required: list[str],
    fields: dict[str, dict[str, Any]] | None = None,
    repeated: tuple[str, ...] = ("video",),
) -> dict[str, Any]:
    """The OpenAPI request body of a streamed multipart endpoint (FastAPI cannot infer it)."""
    binary = {"type": "string", "format": "binary"}
    properties: dict[str, Any] = {
        name: {"type": "array", "items": binary, "description": doc}
        if name in repeated
        else {**binary, "description": doc}
        for name, doc in files.items()
    }
    properties.update(fields or {})
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


@asynccontextmanager
async def upload_folder(settings: Settings) -> AsyncIterator[Path]:
    """A private temp folder for one request's files; removed whatever happens."""
    base = settings.data_dir / "tmp"
    await anyio.Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=base))
    try:
        yield folder
    finally:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(folder, ignore_errors=True))
