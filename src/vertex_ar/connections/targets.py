"""Where a storage connection may point the server: not at itself, its private networks or a
cloud metadata service (server-side request forgery), unless ALLOW_PRIVATE_STORAGE_ENDPOINTS;
a `local` folder only under LOCAL_STORAGE_ROOTS.

Names are resolved once, when the connection is saved; a name that later resolves elsewhere
(DNS rebinding) is not caught here — Nginx/the firewall are the second line.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import anyio

_PRIVATE_NAMES = ("localhost", "metadata.google.internal", "metadata")
_RESOLVE_SECONDS = 3.0


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def private_target(url: str) -> str | None:
    """Why `url` points inside (loopback, link-local, private, reserved), or None."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return "has no host"
    if host in _PRIVATE_NAMES or host.endswith(".localhost") or host.endswith(".internal"):
        return f"points at {host}, a name of this machine or its cloud"
    try:
        if _is_private(host):
            return f"points at {host}, a loopback, link-local or private address"
        return None
    except ValueError:
        pass  # a name, not an address: resolve it
    try:
        with anyio.fail_after(_RESOLVE_SECONDS):
            found = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError):
        return None  # unresolvable now: the connection test will say so
    private = sorted({str(info[4][0]) for info in found if _is_private(str(info[4][0]))})
    if private:
        return f"{host} resolves to {', '.join(private)}, a loopback, link-local or private address"
    return None


def local_path_outside(path: str, roots: Sequence[Path]) -> str | None:
    """Why the folder `path` is not a root or below one, or None. `..` segments are refused as
    written; symlinks are followed, so a link inside a root that leads out is refused too."""
    if ".." in Path(path).parts:
        return "must not contain .. segments"
    real = Path(path).resolve()
    if any(real.is_relative_to(root.resolve()) for root in roots):
        return None
    where = "" if str(real) == path else f" (it leads to {real})"
    allowed = ", ".join(str(root.resolve()) for root in roots)
    return f"is not under an allowed root{where}; allowed: {allowed}"
