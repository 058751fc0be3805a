"""Encryption of connection secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from STORAGE_ENCRYPTION_KEYS (comma-separated; the first encrypts, all decrypt, so a
key can be rotated by putting the new one first) or, when that is empty, from SECRET_KEY. Each
entry is stretched with HKDF, so any long random string works as a key.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vertex_ar.core.settings import Settings

_INFO = b"vertex-ar storage connection secrets v1"


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with a key that is no longer configured."""


def _fernet_key(material: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        material.encode()
    )
    return base64.urlsafe_b64encode(derived)


def secrets_box(settings: Settings) -> MultiFernet:
    entries = [k.strip() for k in settings.storage_encryption_keys.split(",") if k.strip()]
    return MultiFernet([Fernet(_fernet_key(k)) for k in entries or [settings.secret_key]])


def encrypt_secrets(settings: Settings, values: dict[str, Any]) -> str | None:
    if not values:
        return None
    return secrets_box(settings).encrypt(json.dumps(values).encode()).decode()


def decrypt_secrets(settings: Settings, token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        data: dict[str, Any] = json.loads(secrets_box(settings).decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretsUnreadable(
            "connection secrets cannot be decrypted: STORAGE_ENCRYPTION_KEYS/SECRET_KEY changed"
        ) from exc
    return data
