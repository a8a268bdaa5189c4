"""Server addresses a device may use: caller PII and CJI never travel in clear (CJIS 5.10)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class InsecureServer(ValueError):
    """A server URL that would send case data unencrypted."""


def checked_server_url(url: str) -> str:
    """The URL without a trailing slash, if it is HTTPS (or plain HTTP to this machine only)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InsecureServer(f"{url!r} is not a server address (expected https://host[:port])")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise InsecureServer(
            f"{parts.hostname} must be reached over https: case data is never sent in clear"
        )
    return url.strip().rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
