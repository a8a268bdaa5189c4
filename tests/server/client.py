"""A test device talking to a live server over HTTP: enrolled, with its own replica, clock,
seq counter and outbox, building ops only through ``shared.commands.Commands``."""

from __future__ import annotations

import uuid

import httpx

from shared.api import PULL, PUSH, Role
from shared.commands import Commands
from shared.hlc import Hlc, HybridClock, system_ms
from shared.lifecycle import UnitStatus
from shared.merge import Replica
from shared.protocol import Change, IncidentFields, Op, PullPage, PushResult
from sync_server.testing import LiveServer, bearer

PASSWORD = "correct horse battery"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Device:
    """One enrolled tablet: acts offline on its replica, pushes its outbox, pulls the log."""

    def __init__(
        self, server: LiveServer, username: str, password: str = PASSWORD, *, skew_ms: int = 0
    ) -> None:
        enrolled = server.enroll(username, password, device_name=f"tablet of {username}")
        self.server = server
        self.device_id = enrolled.device_id
        self.tokens = enrolled.tokens
        self.user_id = username
        self.http = server.client(headers=bearer(enrolled.tokens.access_token))
        self.replica = Replica()
        self.seq = 0
        self.cursor = 0
        self.outbox: list[Op] = []
        self.clock = HybridClock(lambda: system_ms() + skew_ms)
        self.commands = Commands(self.device_id, username, self.clock, self._next_seq)

    @classmethod
    def new(cls, server: LiveServer, role: Role = Role.DISPATCHER, *, skew_ms: int = 0) -> Device:
        """A fresh user with this role and a device enrolled for them."""
        username = unique(role.value)
        server.add_user(username, PASSWORD, role)
        return cls(server, username, skew_ms=skew_ms)

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def close(self) -> None:
        self.http.close()

    # Local work ------------------------------------------------------------------------
    def act(self, op: Op) -> Op:
        self.replica.apply(op)
        self.outbox.append(op)
        return op

    def create_incident(self, **fields: object) -> str:
        given = {"incident_type": "FSTRU", "address": "100 Main St", **fields}
        op = self.commands.create_incident(IncidentFields.model_validate(given), priority=2)
        self.act(op)
        return op.entity_id

    def add_note(self, incident_id: str, text: str) -> Op:
        return self.act(self.commands.add_note(self.replica.incidents[incident_id], text))

    def create_unit(self, name: str) -> str:
        op = self.act(self.commands.upsert_unit(None, unit_id=unique("unit"), name=name))
        return op.entity_id

    def dispatch(self, unit_id: str, incident_id: str) -> Op:
        state = self.replica.units[unit_id]
        op = self.commands.set_unit_status(state, UnitStatus.DISPATCHED, incident_id=incident_id)
        return self.act(op)

    # Sync ------------------------------------------------------------------------------
    def post_push(self, ops: list[Op] | None = None) -> httpx.Response:
        batch = self.outbox if ops is None else ops
        body = {"device_id": self.device_id, "ops": [op.model_dump(mode="json") for op in batch]}
        return self.http.post(PUSH, json=body)

    def push(self, ops: list[Op] | None = None) -> PushResult:
        response = self.post_push(ops)
        assert response.status_code == 200, response.text
        result = PushResult.model_validate_json(response.content)
        self.outbox = [op for op in self.outbox if op.seq > result.last_seq]
        return result

    def pull(self, limit: int = 500) -> PullPage:
        response = self.http.get(PULL, params={"cursor": self.cursor, "limit": limit})
        assert response.status_code == 200, response.text
        page = PullPage.model_validate_json(response.content)
        for change in page.changes:
            self.clock.observe(Hlc.decode(change.op.hlc))
            if change.refused is None:  # a refused op is merged nowhere
                self.replica.apply(change.op)
        self.cursor = page.cursor
        return page

    def pull_all(self, limit: int = 500) -> list[Change]:
        changes: list[Change] = []
        while True:
            page = self.pull(limit)
            changes += page.changes
            if not page.has_more:
                return changes
