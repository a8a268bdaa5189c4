"""The authenticator app on a dispatcher's phone, for specs that sign in with a second factor:
it shows the code for its own clock, like the real app (RFC 6238, the server's own code)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.hlc import system_ms
from sync_server.auth import totp


@dataclass(frozen=True)
class PhoneApp:
    key: str
    #: How far the phone's clock is off (an hour-off phone shows an hour-old code).
    skew_ms: int = 0

    def code(self) -> str:
        return totp.code_at(
            totp.secret_from_text(self.key), totp.step_at(system_ms() + self.skew_ms)
        )

    def next_code(self) -> str:
        """The code after the current one (what the app shows once it has turned over)."""
        now = totp.step_at(system_ms() + self.skew_ms)
        return totp.code_at(totp.secret_from_text(self.key), now + 1)
