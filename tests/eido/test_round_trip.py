"""Sending an incident to another agency and back loses none of what dispatchers rely on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.codes import INCIDENT_TYPES
from shared.eido import IMPORT_NOTE_PREFIX, export_eido, import_eido
from shared.eido.common import (
    from_common_priority,
    parse_timestamp,
    to_common_priority,
    to_timestamp,
)
from shared.eido.notes_html import to_html, to_text
from shared.eido.pidf import build_pidf, parse_pidf
from shared.protocol import IncidentFields, NoteAdd
from tests.eido.scenario import ALPHA, BRAVO, Desk
from tests.eido.schema import eido_validator, schema_errors

# Addresses, names: one line of text.  PIDF-LO is XML, which cannot carry most control
# characters nor U+FFFE/U+FFFF (they are sent as U+FFFD, see test_export).
line = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"),
    max_size=200,
)
notes = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=400)


@st.composite
def incidents(draw: st.DrawFn):
    fields = IncidentFields(
        incident_type=draw(st.none() | st.sampled_from(sorted(INCIDENT_TYPES))),
        address=draw(st.none() | line),
        cross_street=draw(st.none() | line),
        lat=draw(st.none() | st.floats(-90, 90)),
        lon=draw(st.none() | st.floats(-180, 180)),
        caller_name=draw(st.none() | line),
        callback_number=draw(st.none() | st.text(max_size=32)),
    )
    return (
        fields,
        draw(st.integers(1, 5)),
        draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=400)),
        draw(st.lists(notes, max_size=4)),
        draw(st.none() | st.integers(1, 5)),
    )


def _blank_is_none(text: str | None) -> str | None:
    """A blank address or name says nothing; it is not sent as one."""
    return text if text is not None and text.strip() else None


@settings(max_examples=150, deadline=None)
@given(incidents(), st.integers(0, 10**6))
def test_alpha_to_bravo_and_on_keeps_type_priority_location_caller_and_notes(case, gap_s) -> None:
    fields, priority, narrative, texts, new_priority = case
    alpha = Desk("alpha-dispatch-1")
    created = alpha.do(alpha.commands.create_incident(fields, priority, narrative))
    incident_id = created.entity_id
    for text in texts:
        alpha.wait(gap_s / 1000)
        alpha.do(alpha.commands.add_note(alpha.state(incident_id), text))
    if new_priority is not None and new_priority != priority:
        alpha.do(alpha.commands.change_priority(alpha.state(incident_id), new_priority))
    sent = export_eido(alpha.incident(incident_id), alpha.units(), ALPHA)
    assert schema_errors(eido_validator(), sent) == []

    bravo = Desk("bravo-dispatch-1", start_ms=alpha.now_ms + 5_000)
    ops = import_eido(sent, bravo.commands)
    for op in ops:
        bravo.do(op)
    # The create, then Bravo's own import note, then what Alpha sent.
    import_note = ops[1].body
    assert isinstance(import_note, NoteAdd) and import_note.text.startswith(IMPORT_NOTE_PREFIX)
    (theirs,) = [s.view() for s in bravo.device.replica.incidents.values()]
    forwarded = export_eido(theirs, bravo.units(), BRAVO)
    assert schema_errors(eido_validator(), forwarded) == []

    ours = alpha.incident(incident_id)
    assert theirs.incident_type == (ours.incident_type or "NCRNONE")
    assert theirs.priority == ours.priority
    assert theirs.received_ms == ours.received_ms
    assert theirs.location.address == _blank_is_none(ours.location.address)
    assert theirs.location.cross_street == _blank_is_none(ours.location.cross_street)
    both = ours.location.lat is not None and ours.location.lon is not None
    assert (theirs.location.lat, theirs.location.lon) == (
        (ours.location.lat, ours.location.lon) if both else (None, None)
    )
    assert theirs.caller.name == _blank_is_none(ours.caller.name)
    assert theirs.caller.callback_number == ours.caller.callback_number
    kept = [
        (n.text, n.narrative, n.event_ms) for n in theirs.notes if n.note_id != import_note.note_id
    ]
    assert kept == [(n.text, n.narrative, n.event_ms) for n in ours.notes]

    # And at the document level, what Bravo sends on says the same as what Alpha sent.
    for member in ("incidentTypeCommonRegistryText", "incidentCommonPriorityNumber"):
        assert forwarded["incidentComponent"].get(member) == sent["incidentComponent"].get(member)
    assert forwarded.get("callbackComponent", [{}])[0].get("callBackInformationUri") == sent.get(
        "callbackComponent", [{}]
    )[0].get("callBackInformationUri")
    sent_notes = [n["notesActionComments"] for n in sent.get("notesComponent", [])]
    forwarded_notes = [
        n["notesActionComments"]
        for n in forwarded.get("notesComponent", [])
        if n["notesActionComments"] != to_html(import_note.text)
    ]
    assert forwarded_notes == sent_notes


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_note_text_survives_html(text: str) -> None:
    assert to_text(to_html(text)) == text


@given(line.filter(str.strip), st.floats(-90, 90), st.floats(-180, 180))
def test_pidf_lo_keeps_address_and_coordinates_exactly(
    address: str, lat: float, lon: float
) -> None:
    place = parse_pidf(build_pidf("pres:x@example.org", address=address, lat=lat, lon=lon))
    assert (place.address, place.lat, place.lon) == (address, lat, lon)


@given(st.integers(1, 5))
def test_our_priorities_survive_the_eido_scale(priority: int) -> None:
    assert from_common_priority(to_common_priority(priority)) == priority


@given(st.integers(0, 253_402_300_799_999))  # up to 9999-12-31T23:59:59.999Z
def test_timestamps_survive_rfc_3339(ms: int) -> None:
    assert parse_timestamp(to_timestamp(ms)) == ms
