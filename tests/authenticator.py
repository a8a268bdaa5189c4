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

    def wrong_code(self) -> str:
        """Six digits no step near now shows: a guess that is certainly wrong."""
        secret = totp.secret_from_text(self.key)
        now = totp.step_at(system_ms() + self.skew_ms)
        near = {totp.code_at(secret, step) for step in range(now - 3, now + 4)}
        return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)
