"""A limit on request bodies other than multipart uploads, applied while the bytes arrive.

Uploads stream to disk with a limit per file field and a count of parts (`content/uploads.py`);
every other body (JSON) is read whole into memory by the framework, so it is refused by its
declared Content-Length at once, or as soon as the streamed bytes cross the limit, before any
authentication or parsing.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """An HTTPException: FastAPI passes those through its body reading (others become 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"the request body is larger than the JSON limit of {limit // 1024} KiB"
        )


class RequestBodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        too_large = declared.isdigit() and int(declared) > self.max_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_large:
                raise BodyTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
