"""Call intake: the APCO type search and the checks before a call is saved."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mobile_app.ui.viewmodels.intake import (
    IntakeForm,
    already_saved,
    check_intake,
    draft_text,
    form_from_draft,
    repeat_caller_hint,
)
from mobile_app.ui.viewmodels.type_search import search_incident_types, type_option
from shared.codes import INCIDENT_TYPES
from shared.lifecycle import IncidentStatus
from shared.protocol import IncidentCreate
from tests.ui.desks import T0, Desk, at


def codes(query: str, limit: int = 8) -> list[str]:
    return [o.code for o in search_incident_types(query, limit)]


# APCO incident type search -----------------------------------------------------------------
def test_an_exact_code_comes_first():
    assert codes("fall")[0] == "FALL"
    assert codes("FSTRU")[0] == "FSTRU"


def test_codes_starting_with_the_query_come_before_descriptions_mentioning_it():
    found = codes("alr", limit=50)
    assert found and all(code.startswith("ALR") for code in found[:10])


def test_a_word_the_caller_said_finds_types_by_description():
    assert "CARDIAC" in codes("heart")
    assert "CHOKE" in codes("choking")


def test_every_word_must_match():
    found = search_incident_types("fire alarm pull")
    assert [o.code for o in found] == ["ALRPULL"]
    assert found[0].label == "ALRPULL · Fire Alarm - Pull Station"


def test_nothing_is_offered_for_an_empty_query_or_a_word_no_type_has():
    assert codes("") == []
    assert codes("   ") == []
    assert codes("zzzzqq") == []


def test_the_list_is_capped_for_a_phone_screen():
    assert len(codes("a")) == 8
    assert len(codes("a", limit=3)) == 3


@given(st.sampled_from(sorted(INCIDENT_TYPES)))
def test_every_apco_type_is_found_first_by_its_own_code(code):
    assert codes(code)[0] == code


def test_a_chosen_code_reads_back_as_its_option():
    option = type_option("FALL")
    assert option is not None and option.description == "Fall"
    assert type_option("NOT-A-CODE") is None


# Checking the form -----------------------------------------------------------------------
def test_type_and_priority_are_enough_to_save_a_call():
    check = check_intake(IntakeForm(incident_type="FALL", priority=3))
    assert check.ok and check.errors == {}
    assert check.draft is not None
    assert check.draft.fields.changes() == {"incident_type": "FALL"}
    assert check.draft.priority == 3


def test_an_empty_form_says_what_is_missing_in_words():
    check = check_intake(IntakeForm())
    assert not check.ok
    assert check.errors == {
        "incident_type": "Choose the incident type: search by code or by a word",
        "priority": "Choose a priority (1 is the most urgent)",
    }
    assert check.summary == "Check the 2 highlighted fields"


def test_a_type_not_in_the_apco_list_is_refused():
    check = check_intake(IntakeForm(incident_type="HEARTATTACK", priority=1))
    assert check.errors["incident_type"] == "Unknown incident type: pick one from the list"
    assert check.summary == "Check the highlighted field"


def test_a_full_call_keeps_every_field_trimmed():
    form = IntakeForm(
        incident_type="CARDIAC",
        priority=1,
        address="  20 Oak Ave ",
        cross_street="3rd St",
        lat="37.7749",
        lon="-122.4194",
        caller_name="Maria Lopez",
        callback_number="(415) 555-1234",
        narrative="  Husband collapsed, not breathing  ",
        started_ms=T0,
    )
    check = check_intake(form)
    assert check.draft is not None
    assert check.draft.fields.changes() == {
        "incident_type": "CARDIAC",
        "address": "20 Oak Ave",
        "cross_street": "3rd St",
        "lat": 37.7749,
        "lon": -122.4194,
        "caller_name": "Maria Lopez",
        "callback_number": "(415) 555-1234",
    }
    assert check.draft.narrative == "Husband collapsed, not breathing"
    assert check.draft.received_ms == T0
    assert check.draft.headline == "P1 CARDIAC · 20 Oak Ave"


def test_a_call_without_an_address_is_named_by_its_coordinates_or_says_none_yet():
    by_gps = check_intake(IntakeForm(incident_type="FALL", priority=3, lat="37.5", lon="-122.25"))
    assert by_gps.draft is not None
    assert by_gps.draft.headline == "P3 FALL · 37.50000, -122.25000"
    nowhere = check_intake(IntakeForm(incident_type="FALL", priority=3))
    assert nowhere.draft is not None
    assert nowhere.draft.headline == "P3 FALL · No location yet"


def test_coordinates_accept_a_decimal_comma():
    check = check_intake(IntakeForm(incident_type="FALL", priority=3, lat="37,5", lon="-122,25"))
    assert check.draft is not None
    assert check.draft.fields.lat == 37.5 and check.draft.fields.lon == -122.25


def test_coordinates_out_of_range_or_not_numbers_are_explained():
    check = check_intake(IntakeForm(incident_type="FALL", priority=3, lat="91", lon="east"))
    assert check.errors == {
        "lat": "Latitude must be a number from -90 to 90, like 37.7749",
        "lon": "Longitude must be a number from -180 to 180, like -122.4194",
    }


def test_half_a_coordinate_pair_asks_for_the_other_half():
    lat_only = check_intake(IntakeForm(incident_type="FALL", priority=3, lat="37.1"))
    assert lat_only.errors == {"lon": "Enter the longitude too, or clear the latitude"}
    lon_only = check_intake(IntakeForm(incident_type="FALL", priority=3, lon="-122"))
    assert lon_only.errors == {"lat": "Enter the latitude too, or clear the longitude"}


def test_a_callback_number_with_letters_is_refused_without_repeating_it():
    check = check_intake(IntakeForm(incident_type="FALL", priority=3, callback_number="call me"))
    assert check.errors == {
        "callback_number": "Callback number: digits, with + ( ) - or spaces only"
    }
    assert "call me" not in check.errors["callback_number"]


def test_too_long_texts_are_refused_with_the_limit():
    check = check_intake(
        IntakeForm(incident_type="FALL", priority=3, address="x" * 201, narrative="y" * 4001)
    )
    assert check.errors == {
        "address": "Address is too long: 200 characters at most",
        "narrative": "Narrative is too long: 4000 characters at most",
    }


def test_a_priority_outside_1_to_5_is_refused():
    check = check_intake(IntakeForm(incident_type="FALL", priority=7))
    assert check.errors == {"priority": "Priority goes from 1 (most urgent) to 5"}


@given(
    st.text(max_size=300),
    st.text(max_size=40),
    st.text(max_size=20),
    st.text(max_size=20),
)
def test_any_input_either_saves_as_a_valid_call_or_gets_messages(address, phone, lat, lon):
    """Whatever is typed, the check never crashes, and a call it accepts is one the protocol
    accepts too (so the save cannot fail on validation)."""
    check = check_intake(
        IntakeForm(
            incident_type="FALL",
            priority=2,
            address=address,
            callback_number=phone,
            lat=lat,
            lon=lon,
        )
    )
    assert check.ok != bool(check.errors)
    if check.draft is not None:
        IncidentCreate(fields=check.draft.fields, priority=check.draft.priority)


# Repeat callers --------------------------------------------------------------------------
def test_a_repeat_caller_is_pointed_at_the_incident_still_open_for_them():
    desk = Desk("dev-a", "alice")
    desk.at(0).call("FALL", 3, incident_id="first", address="1 Main St", callback_number="555")
    desk.at(5).call("FALL", 3, incident_id="second", address="1 Main St", callback_number="555")
    desk.status("second", IncidentStatus.CANCELLED)
    matches = [desk.incident("second"), desk.incident("first")]  # newest first, as stored
    hint = repeat_caller_hint(matches, at(10))
    assert hint == (
        "This number called 10 min ago: P3 FALL · 1 Main St, still open (2 calls from this number)"
    )


def test_no_hint_for_a_number_never_seen():
    assert repeat_caller_hint([], at(0)) is None


forms = st.builds(
    IntakeForm,
    incident_type=st.text(max_size=12),
    priority=st.none() | st.integers(1, 5),
    address=st.text(max_size=40),
    cross_street=st.text(max_size=20),
    lat=st.text(max_size=12),
    lon=st.text(max_size=12),
    caller_name=st.text(max_size=30),
    callback_number=st.text(max_size=16),
    narrative=st.text(max_size=200),
    started_ms=st.none() | st.integers(0, 2**53),
)


@given(forms)
def test_a_kept_draft_gives_back_exactly_what_was_typed(form):
    text = draft_text(form)
    if text is None:
        assert form == IntakeForm(started_ms=form.started_ms), "only an empty form keeps nothing"
    else:
        assert form_from_draft(text) == form


def test_a_draft_that_cannot_be_read_back_is_no_draft():
    assert form_from_draft(None) is None
    assert form_from_draft("not json") is None
    assert form_from_draft('{"address": "1 Elm", "unknown_field": 1}') is None
    assert form_from_draft('{"address": 12}') is None
    assert form_from_draft('{"priority": "high"}') is None
    assert form_from_draft('{"priority": true}') is None
    assert form_from_draft('["address"]') is None


def test_a_draft_whose_call_is_already_in_the_queue_counts_as_saved():
    desk = Desk("dev-a", "alice")
    incident_id = desk.call(received_ms=T0 + 5, address="1 Elm")
    incidents = [desk.replica.incident(incident_id)]
    assert already_saved(IntakeForm(address="1 Elm", started_ms=T0 + 5), incidents)
    assert not already_saved(IntakeForm(address="1 Elm", started_ms=T0 + 6), incidents)
    assert not already_saved(IntakeForm(address="1 Elm"), incidents)
