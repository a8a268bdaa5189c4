"""What export and import share: the agency sending, identifiers, timestamps and priorities.

Identifiers follow NENA-STA-021 section 2.1: a component without a natural identifier gets
``urn:emergency:uid:eidodatacomponent:<alphanumeric>:<agency id>``.  Ours are derived from a
hash of what the component is about, so the same component keeps the same ``$id`` in every
EIDO we send for the incident, as the standard requires.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

EIDO_VERSION = "1.0"
FALLBACK_INCIDENT_TYPE = "NCRNONE"
DEFAULT_PRIORITY = 3
MAX_COMMON_PRIORITY = 10


class EidoError(ValueError):
    """An EIDO that cannot be imported, with every problem found (path: what is wrong)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"not a valid EIDO: {shown}{more}")


@dataclass(frozen=True, slots=True)
class Agency:
    """The agency an EIDO is sent by (its Agency Identifier is a domain-like name)."""

    agency_id: str
    name: str
    agency_types: tuple[str, ...] = ("police", "fire", "ems")
    roles: tuple[str, ...] = ("CallReceiving", "Dispatching")

    @property
    def element_id(self) -> str:
        """Our functional element (the CAD) in NENA-STA-010 naming."""
        return f"cad.{self.agency_id}"


def token(*parts: str) -> str:
    """A stable alphanumeric token for what a component is about."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def tracking_id(incident_id: str, agency_id: str) -> str:
    return f"urn:emergency:uid:incidentid:{token('incident', incident_id)}:{agency_id}"


def call_id(incident_id: str, agency_id: str) -> str:
    return f"urn:emergency:uid:callid:{token('call', incident_id)}:{agency_id}"


def component_id(kind: str, incident_id: str, key: str, agency_id: str) -> str:
    return f"urn:emergency:uid:eidodatacomponent:{token(kind, incident_id, key)}:{agency_id}"


def resource_id(unit_id: str, agency_id: str) -> str:
    """Section 2.20: an emergency resource is identified as ``unit@agency``."""
    return f"{unit_id}@{agency_id}"


def to_timestamp(ms: int) -> str:
    """Epoch ms to RFC 3339 UTC with milliseconds, e.g. ``2020-04-08T06:53:08.000Z``."""
    seconds, millis = divmod(ms, 1000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z"


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse_timestamp(text: str) -> int:
    """RFC 3339 date-time (offset required) to epoch ms; fractions below 1 ms are dropped."""
    match = _RFC3339.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with a UTC offset")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    offset = timedelta(0)
    if not zulu:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            offset = -offset
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        min(int(second), 59),  # a leap second is held at :59
        tzinfo=timezone(offset),
    )
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    return int(moment.timestamp()) * 1000 + millis


def to_common_priority(priority: int) -> int:
    """Our 1 (most urgent) .. 5 to EIDO's common 0..10 (10 most urgent): 10, 8, 6, 4, 2."""
    return 12 - 2 * priority


def from_common_priority(common: int) -> int:
    """EIDO's 0..10 back to 1..5; an odd value between two of ours takes the more urgent."""
    return min(5, max(1, (12 - common) // 2))
