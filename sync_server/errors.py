"""Refusals: every request the server turns down becomes one of these, then an ErrorBody.

Services raise them (inside a transaction, which then rolls back, so nothing is stored
half-way); ``api.errors`` turns them into HTTP answers.  Status codes, consistently:

- 401 unauthorized: no, bad or expired credentials (also a locked account);
- 403 forbidden: authenticated, but the role or device may not do this;
- 404 not_found: no such conflict, device, user or path;
- 409 seq_gap / clock_ahead: the request disagrees with the server's state or clock;
- 410 device_revoked (wipe=True) / resync_required: the client must act before retrying;
- 413 batch_too_large: more ops or bytes than one request may carry;
- 422 invalid / unknown_entity: the content itself is wrong.
"""

from __future__ import annotations

from shared.protocol import ErrorBody, ErrorCode

STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID: 422,
    ErrorCode.UNKNOWN_ENTITY: 422,
    ErrorCode.SEQ_GAP: 409,
    ErrorCode.CLOCK_AHEAD: 409,
    ErrorCode.BATCH_TOO_LARGE: 413,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.DEVICE_REVOKED: 410,
    ErrorCode.RESYNC_REQUIRED: 410,
}


class Refused(Exception):
    """A request the server will not carry out, with the reason the client is told."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        status: int | None = None,
        wipe: bool = False,
        expected_seq: int | None = None,
        server_time_ms: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = STATUS[code] if status is None else status
        self.wipe = wipe
        self.expected_seq = expected_seq
        self.server_time_ms = server_time_ms

    def body(self) -> ErrorBody:
        return ErrorBody(
            error=self.code,
            detail=self.detail,
            wipe=self.wipe,
            expected_seq=self.expected_seq,
            server_time_ms=self.server_time_ms,
        )


def require_printable(value: str, field: str) -> str:
    """Refuse control characters (NUL included) in names that are stored in clear."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise Refused(ErrorCode.INVALID, f"{field} must not contain control characters")
    return value
