"""S3 and S3-compatible storage (AWS, MinIO, Yandex Object Storage) through boto3.

boto3 is blocking: every call runs in a worker thread (anyio.to_thread). Uploads are streamed:
at most one part (`part_bytes`) is held in memory; anything larger than a part goes up as a
multipart upload, which is aborted if anything fails, so no partial object is ever visible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import boto3
import structlog
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from vertex_ar.storage.base import (
    READ_CHUNK,
    ObjectInfo,
    StorageError,
    Usage,
    check_key,
    company_folders,
    probe_roundtrip,
    read_file_chunks,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
T = TypeVar("T")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Storage:
    def __init__(
        self,
        *,
        bucket: str,
        access_key: str,
        secret_key: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        path_style: bool = False,
        prefix: str = "",
        public_base_url: str | None = None,
        part_bytes: int,
        timeout_seconds: float,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.public_base_url = public_base_url
        self.part_bytes = part_bytes
        boto_config = BotoConfig(
            region_name=region,
            signature_version="s3v4",
            s3={"addressing_style": "path" if path_style else "auto"},
            connect_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=16,
        )
        # A session of its own: boto3's default session is not safe to share between threads.
        self.client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=boto_config,
        )

    def name_of(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def _call(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(lambda: fn(**kwargs))
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                raise StorageError(f"object not found: {kwargs.get('Key', '')}") from exc
            raise StorageError(f"S3 refused the request: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 unreachable: {exc}") from exc

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo:
        name = self.name_of(key)
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= self.part_bytes:
                    if upload_id is None:
                        created = await self._call(
                            self.client.create_multipart_upload, Bucket=self.bucket, Key=name
                        )
                        upload_id = created["UploadId"]
                    part = bytes(buffer[: self.part_bytes])
                    del buffer[: self.part_bytes]
                    parts.append(await self._upload_part(name, upload_id, len(parts) + 1, part))
            if upload_id is None:
                await self._call(
                    self.client.put_object, Bucket=self.bucket, Key=name, Body=bytes(buffer)
                )
            else:
                if buffer or not parts:
                    parts.append(
                        await self._upload_part(name, upload_id, len(parts) + 1, bytes(buffer))
                    )
                await self._call(
                    self.client.complete_multipart_upload,
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                with anyio.CancelScope(shield=True):
                    await self._abort(name, upload_id)
            raise
        return ObjectInfo(key, size)

    async def _upload_part(
        self, name: str, upload_id: str, number: int, data: bytes
    ) -> dict[str, Any]:
        result = await self._call(
            self.client.upload_part,
            Bucket=self.bucket,
            Key=name,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
        )
        return {"ETag": result["ETag"], "PartNumber": number}

    async def _abort(self, name: str, upload_id: str) -> None:
        try:
            await self._call(
                self.client.abort_multipart_upload, Bucket=self.bucket, Key=name, UploadId=upload_id
            )
        except StorageError as exc:
            # Invisible (not an object) but billed; delete() retries the abort later.
            log.warning("s3.abort_failed", bucket=self.bucket, key=name, error=str(exc))

    async def put_file(self, key: str, path: Path) -> ObjectInfo:
        return await self.put_stream(key, read_file_chunks(path))

    async def get_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Bytes `start..end` inclusive (HTTP Range semantics); `end=None` reads to the end."""
        name = self.name_of(key)
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": name}
        if start > 0 or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        response = await self._call(self.client.get_object, **kwargs)
        body = response["Body"]
        try:
            while True:
                try:
                    chunk = await anyio.to_thread.run_sync(body.read, READ_CHUNK)
                except (BotoCoreError, OSError) as exc:
                    raise StorageError(f"S3 read interrupted: {exc}") from exc
                if not chunk:
                    break
                yield chunk
        finally:
            body.close()

    async def download_to(self, key: str, path: Path) -> None:
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in self.get_stream(key):
                await out.write(chunk)

    async def size(self, key: str) -> int:
        head = await self._call(self.client.head_object, Bucket=self.bucket, Key=self.name_of(key))
        return int(head["ContentLength"])

    async def exists(self, key: str) -> bool:
        try:
            await self.size(key)
        except StorageError as exc:
            if isinstance(exc.__cause__, ClientError) and _error_code(exc.__cause__) in _NOT_FOUND:
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        """Delete the object and abort unfinished multipart uploads left for its key."""
        name = self.name_of(key)
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=name)
        pending = await self._call(
            self.client.list_multipart_uploads, Bucket=self.bucket, Prefix=name
        )
        for upload in pending.get("Uploads", []):
            if upload.get("Key") == name and "UploadId" in upload:
                await self._call(
                    self.client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload["UploadId"],
                )

    async def provision(self, company_id: int) -> None:
        """Empty `folder/` marker objects: what S3 consoles (and MinIO's) show as folders."""
        for folder in company_folders(company_id):
            await self._call(
                self.client.put_object, Bucket=self.bucket, Key=f"{self.prefix}{folder}/", Body=b""
            )

    async def usage(self) -> Usage:
        """Bytes stored under the connection's prefix (a listing: slow for huge buckets)."""
        used = 0
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = await self._call(self.client.list_objects_v2, **kwargs)
            used += sum(int(item.get("Size", 0)) for item in page.get("Contents", []))
            token = page.get("NextContinuationToken")
            if not token:
                return Usage(used, None)

    def local_path(self, key: str) -> Path | None:
        del key  # objects live in the bucket
        return None

    def delivery_url(self, key: str, expires_seconds: int) -> str | None:
        name = self.name_of(key)
        if self.public_base_url:
            return f"{self.public_base_url.rstrip('/')}/{name}"
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": name}, ExpiresIn=expires_seconds
        )
        return url

    async def check(self) -> None:
        await probe_roundtrip(self)
