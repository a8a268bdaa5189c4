"""What the admin console prints when IT asks who and what the server knows: accounts, and
devices with the ids ``revoke`` takes (a lost tablet is found by its user and name)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.reports import format_time, text_table
from sync_server.messages import DeviceOut, UserOut


def users_table(users: Sequence[UserOut]) -> str:
    rows = [
        [
            u.username,
            u.role.value,
            u.display_name or "-",
            "yes" if u.authenticator else "no",
            "active" if u.active else "disabled",
            "LOCKED" if u.locked else "",
        ]
        for u in users
    ]
    headers = ["user", "role", "name", "authenticator", "account", "lockout"]
    return text_table(headers, rows, right_from=len(headers)) if rows else "no users yet"


def devices_table(devices: Sequence[DeviceOut]) -> str:
    ordered = sorted(devices, key=lambda d: (d.user_id, d.name, d.device_id))
    rows = [
        [
            d.device_id,
            d.user_id,
            d.name,
            format_time(d.created_ms),
            format_time(d.last_seen_ms, "never"),
            "REVOKED" if d.revoked else "",
            str(d.last_seq),
        ]
        for d in ordered
    ]
    headers = ["device", "user", "name", "enrolled", "last sync", "revoked", "changes sent"]
    return text_table(headers, rows, right_from=6) if rows else "no devices enrolled yet"
