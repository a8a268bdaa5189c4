"""Hypothesis strategies for valid protocol messages."""

from __future__ import annotations

from hypothesis import strategies as st

from shared.codes import DISPOSITIONS, INCIDENT_TYPES
from shared.hlc import Hlc
from shared.lifecycle import IncidentStatus, UnitStatus, unit_needs_incident
from shared.protocol import (
    Change,
    IncidentCreate,
    IncidentFields,
    IncidentPriority,
    IncidentResolve,
    IncidentStatusChange,
    IncidentUpdate,
    NoteAdd,
    Op,
    PullPage,
    PushRequest,
    PushResult,
    SyncRequest,
    SyncResponse,
    UnitResolve,
    UnitStatusChange,
    UnitUpsert,
)

ids = st.from_regex(r"[A-Za-z0-9_.-]{1,24}", fullmatch=True)
codes = st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True)
incident_types = st.sampled_from(sorted(INCIDENT_TYPES))
dispositions = st.sampled_from(sorted(DISPOSITIONS))
text = st.text(min_size=1, max_size=200)
short = st.text(max_size=200)
priority = st.integers(1, 5)
epoch = st.integers(0, 10**14)
hlcs = st.builds(lambda w, c: Hlc(w, c).encode(), epoch, st.integers(0, 999_999))

fields = st.builds(
    IncidentFields,
    incident_type=st.none() | incident_types,
    address=st.none() | short,
    cross_street=st.none() | short,
    lat=st.none() | st.floats(-90, 90),
    lon=st.none() | st.floats(-180, 180),
    location_verified=st.none() | st.booleans(),
    caller_name=st.none() | short,
    callback_number=st.none() | st.from_regex(r"\+?[0-9 ]{3,20}", fullmatch=True),
)


def _unit_status() -> st.SearchStrategy[UnitStatusChange]:
    def build(status: UnitStatus, incident: str, event: int | None, late: bool):
        inc = incident if unit_needs_incident(status) else None
        return UnitStatusChange(status=status, incident_id=inc, event_ms=event, late=late)

    return st.builds(build, st.sampled_from(UnitStatus), ids, st.none() | epoch, st.booleans())


bodies = st.one_of(
    st.builds(
        IncidentCreate,
        fields=fields,
        priority=priority,
        narrative=short,
        received_ms=st.none() | epoch,
        late=st.booleans(),
    ),
    st.builds(IncidentUpdate, fields=fields).filter(lambda u: True),
    st.builds(IncidentPriority, priority=priority, previous=priority),
    st.builds(
        lambda s, d: IncidentStatusChange(status=s, disposition=d),
        st.sampled_from(IncidentStatus),
        dispositions,
    ),
    st.builds(NoteAdd, note_id=ids, text=text, event_ms=st.none() | epoch, late=st.booleans()),
    st.builds(IncidentResolve, conflict_id=ids, action=st.just("keep"), comment=short),
    st.builds(IncidentResolve, conflict_id=ids, action=st.just("set_priority"), priority=priority),
    st.builds(UnitUpsert, name=st.none() | ids, unit_type=st.none() | codes),
    _unit_status(),
    st.builds(UnitResolve, conflict_id=ids, keep_incident_id=ids, comment=short),
)


def ops(device: st.SearchStrategy[str] = ids) -> st.SearchStrategy[Op]:
    return st.builds(
        Op,
        device_id=device,
        seq=st.integers(1, 10**9),
        hlc=hlcs,
        user_id=ids,
        entity_id=ids,
        ctx=st.dictionaries(ids, st.integers(0, 10**6), max_size=5),
        body=bodies,
    )


@st.composite
def push_requests(draw: st.DrawFn, cls: type[PushRequest] = PushRequest) -> PushRequest:
    device = draw(ids)
    batch = draw(st.lists(ops(st.just(device)), max_size=5, unique_by=lambda o: o.seq))
    batch.sort(key=lambda o: o.seq)
    if cls is SyncRequest:
        return SyncRequest(device_id=device, ops=batch, cursor=draw(st.integers(0, 10**9)))
    return PushRequest(device_id=device, ops=batch)


pages = st.builds(
    PullPage,
    changes=st.lists(st.builds(Change, seq=st.integers(1, 10**9), op=ops()), max_size=4),
    cursor=st.integers(0, 10**9),
    has_more=st.booleans(),
    server_time_ms=epoch,
)
results = st.builds(
    PushResult,
    device_id=ids,
    last_seq=st.integers(0, 10**9),
    applied=st.integers(0, 500),
    duplicates=st.integers(0, 500),
    server_time_ms=epoch,
)
sync_responses = st.builds(SyncResponse, push=results, pull=pages)
