"""Call intake: what the call-taker typed, checked, with a message next to each wrong field.

Only the incident type and the priority are required: a call is saved the moment they are
known, and the location can follow (callers often do not know where they are at first).
Every message says what to do, in the call-taker's words, and never repeats the value (it
may be the caller's personal data and messages end up in logs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from types import MappingProxyType

from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.labels import PRIORITIES, incident_line
from shared.codes import INCIDENT_TYPES
from shared.domain import Incident
from shared.lifecycle import is_open
from shared.protocol import MAX_TEXT, IncidentFields

MAX_SHORT = 200
MAX_PHONE = 32
_PHONE = re.compile(r"^[0-9+()\-. ]+$")


@dataclass(frozen=True, slots=True)
class IntakeForm:
    """The raw values on the screen, as typed."""

    incident_type: str = ""
    priority: int | None = None
    address: str = ""
    cross_street: str = ""
    lat: str = ""
    lon: str = ""
    caller_name: str = ""
    callback_number: str = ""
    narrative: str = ""
    started_ms: int | None = None
    """When the call-taker started this call: the call's received time (NFPA 1225)."""


_TEXT_FIELDS = frozenset(f.name for f in fields(IntakeForm) if f.default == "")


def draft_text(form: IntakeForm) -> str | None:
    """The form as the store keeps it while it is typed (None: nothing typed, keep nothing)."""
    if form == IntakeForm(started_ms=form.started_ms):
        return None
    return json.dumps(asdict(form), separators=(",", ":"))


def form_from_draft(text: str | None) -> IntakeForm | None:
    """The form a kept draft holds; None if there is none or it cannot be read (an app
    version with other fields): a draft is a convenience, never a reason to refuse to open."""
    if not text:
        return None
    try:
        values = json.loads(text)
        form = IntakeForm(**values)
    except (ValueError, TypeError):
        return None
    for name in (f.name for f in fields(IntakeForm)):
        value = getattr(form, name)
        if name in _TEXT_FIELDS:
            readable = isinstance(value, str)
        else:  # the priority and the start time: whole numbers, or not yet known
            readable = value is None or (isinstance(value, int) and not isinstance(value, bool))
        if not readable:
            return None
    return form


def already_saved(form: IntakeForm, incidents: Sequence[Incident]) -> bool:
    """A kept draft whose call was saved just before the device stopped (the draft is cleared
    right after each save, but a dead battery can fall between the two): the incident it
    became carries the draft's start time as its received time."""
    return form.started_ms is not None and any(i.received_ms == form.started_ms for i in incidents)


@dataclass(frozen=True, slots=True)
class IntakeDraft:
    """A checked call, ready for ``create_incident``."""

    fields: IncidentFields
    priority: int
    narrative: str
    received_ms: int | None

    @property
    def headline(self) -> str:
        """The call in one line, as the queue will show it: "P1 CARDIAC · 20 Oak Ave"."""
        f = self.fields
        if f.address:
            where = f.address
        elif f.lat is not None and f.lon is not None:
            where = f"{f.lat:.5f}, {f.lon:.5f}"
        else:
            where = "No location yet"
        return f"P{self.priority} {f.incident_type} · {where}"


@dataclass(frozen=True, slots=True)
class IntakeCheck:
    errors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    draft: IntakeDraft | None = None

    @property
    def ok(self) -> bool:
        return self.draft is not None

    @property
    def summary(self) -> str:
        """One line for the top of the form when something is missing."""
        if self.ok:
            return ""
        n = len(self.errors)
        return "Check the highlighted field" if n == 1 else f"Check the {n} highlighted fields"


def check_intake(form: IntakeForm) -> IntakeCheck:
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    code = form.incident_type.strip()
    if not code:
        errors["incident_type"] = "Choose the incident type: search by code or by a word"
    elif code not in INCIDENT_TYPES:
        errors["incident_type"] = "Unknown incident type: pick one from the list"
    else:
        values["incident_type"] = code

    if form.priority is None:
        errors["priority"] = "Choose a priority (1 is the most urgent)"
    elif form.priority not in PRIORITIES:
        errors["priority"] = "Priority goes from 1 (most urgent) to 5"

    for name, label in (
        ("address", "Address"),
        ("cross_street", "Cross street"),
        ("caller_name", "Caller name"),
    ):
        text = getattr(form, name).strip()
        if len(text) > MAX_SHORT:
            errors[name] = f"{label} is too long: {MAX_SHORT} characters at most"
        elif text:
            values[name] = text

    _check_coordinates(form, errors, values)
    _check_callback(form.callback_number.strip(), errors, values)

    narrative = form.narrative.strip()
    if len(narrative) > MAX_TEXT:
        errors["narrative"] = f"Narrative is too long: {MAX_TEXT} characters at most"

    if errors:
        return IntakeCheck(errors=MappingProxyType(errors))
    assert form.priority is not None
    draft = IntakeDraft(
        fields=IncidentFields.model_validate(values),
        priority=form.priority,
        narrative=narrative,
        received_ms=form.started_ms,
    )
    return IntakeCheck(draft=draft)


def _check_coordinates(form: IntakeForm, errors: dict[str, str], values: dict[str, object]) -> None:
    lat = _number(form.lat, -90, 90)
    lon = _number(form.lon, -180, 180)
    if lat is False:
        errors["lat"] = "Latitude must be a number from -90 to 90, like 37.7749"
    if lon is False:
        errors["lon"] = "Longitude must be a number from -180 to 180, like -122.4194"
    if lat is None and isinstance(lon, float):
        errors["lat"] = "Enter the latitude too, or clear the longitude"
    if lon is None and isinstance(lat, float):
        errors["lon"] = "Enter the longitude too, or clear the latitude"
    if isinstance(lat, float) and isinstance(lon, float):
        values["lat"], values["lon"] = lat, lon


def _number(text: str, low: float, high: float) -> float | bool | None:
    """The number in ``text``; None when empty; False when it is not a number in range.

    A decimal comma is accepted ("37,77"): phones in many locales offer only that key.
    """
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return False
    return value if low <= value <= high else False  # NaN compares False: refused too


def _check_callback(number: str, errors: dict[str, str], values: dict[str, object]) -> None:
    if not number:
        return
    if len(number) > MAX_PHONE:
        errors["callback_number"] = f"Callback number is too long: {MAX_PHONE} characters at most"
    elif not _PHONE.match(number) or sum(c.isdigit() for c in number) < 3:
        errors["callback_number"] = "Callback number: digits, with + ( ) - or spaces only"
    else:
        values["callback_number"] = number


def repeat_caller_hint(matches: Sequence[Incident], now: Now) -> str | None:
    """Tell the call-taker this number already called, pointing at the open incident if any.

    ``matches`` is what the store found for the callback number, newest first.
    """
    if not matches:
        return None
    open_ones = [i for i in matches if i.exists and is_open(i.status)]
    latest = open_ones[0] if open_ones else matches[0]
    when = now.ago(latest.received_ms) if latest.received_ms is not None else "earlier"
    state = "still open" if open_ones else "closed"
    more = f" ({len(matches)} calls from this number)" if len(matches) > 1 else ""
    return f"This number called {when}: {incident_line(latest)}, {state}{more}"
