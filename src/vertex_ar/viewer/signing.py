"""Signed, expiring media links: `/media?t={token}` where the token carries the storage key, the
media type and the expiry, authenticated with an HMAC of the platform secret.

A print lives for years, a leaked media link for at most MEDIA_URL_TTL_SECONDS (plus one
quantisation step, see :func:`expiry_for`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from vertex_ar.core.errors import Forbidden
from vertex_ar.storage.base import check_key

# Separates this use of SECRET_KEY from every other (JWT signing uses the raw key).
_CONTEXT = b"vertex-ar media link v1\x00"


class InvalidLink(Forbidden):
    code = "invalid_link"


class ExpiredLink(Forbidden):
    code = "link_expired"


@dataclass(frozen=True)
class MediaGrant:
    key: str
    mime: str
    expires: int  # unix seconds

    @property
    def company_id(self) -> int:
        return int(self.key.split("/", 1)[0])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> bytes:
    key = hashlib.sha256(_CONTEXT + secret.encode("utf-8")).digest()
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()


def expiry_for(ttl_seconds: int, now: float | None = None) -> int:
    """An expiry at least ``ttl_seconds`` away, rounded up to a step of a quarter of the TTL.

    Viewers that load the same content within one step get the same URL, so the browser's
    cache can serve the video again instead of fetching it under a new name.
    """
    now = time.time() if now is None else now
    step = longest_link_seconds(ttl_seconds) - ttl_seconds
    return (int(now + ttl_seconds) // step + 1) * step


def longest_link_seconds(ttl_seconds: int) -> int:
    """How long a link signed now may work at most (`expiry_for`'s TTL plus one step)."""
    return ttl_seconds + max(60, ttl_seconds // 4)


def sign(secret: str, grant: MediaGrant) -> str:
    body = _b64(json.dumps([grant.key, grant.mime, grant.expires], separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(secret, body))}"


def verify(secret: str, token: str, now: float | None = None) -> MediaGrant:
    """The grant in a token; raises InvalidLink (forged, altered) or ExpiredLink."""
    body, _, signature = token.partition(".")
    try:
        valid = hmac.compare_digest(_unb64(signature), _mac(secret, body))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        valid = False
    if not valid:
        raise InvalidLink("this media link is not valid")
    try:
        key, mime, expires = json.loads(_unb64(body))
        grant = MediaGrant(check_key(str(key)), str(mime), int(expires))
    except (ValueError, TypeError) as exc:
        raise InvalidLink("this media link is not valid") from exc
    if grant.expires < (time.time() if now is None else now):
        raise ExpiredLink("this media link has expired; reload the page for a new one")
    return grant
