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
        return self._shown(0)

    def next_code(self) -> str:
        """The code after the current one (what the app shows once it has turned over)."""
        return self._shown(1)

    def wrong_code(self) -> str:
        """Six digits no step near now shows: a guess that is certainly wrong."""
        near = {self._shown(steps) for steps in range(-3, 4)}
        return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)

    def _shown(self, steps_ahead: int) -> str:
        """The code this phone shows ``steps_ahead`` steps from its own now."""
        now = totp.step_at(system_ms() + self.skew_ms)
        return totp.code_at(totp.secret_from_text(self.key), now + steps_ahead)
