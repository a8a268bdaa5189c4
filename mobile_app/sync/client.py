"""One sync round trip at a time: push the outbox and pull pages, surviving any cut.

- Reconnect = one ``POST /v1/sync`` that pushes the outbox and returns the first page.
- Pages are merged as they arrive, except while catching up: then up to ``MERGE_BATCH``
  changes are gathered into one merge (see ``batching``).  Whatever is held is merged and its
  cursor checkpointed before the round ends for any reason, so a cut mid-transfer re-sends at
  most one page.
- A lost response is harmless: the server stored ``last_seq`` with the effects, so the retry
  is acknowledged without applying anything twice.
- Several servers (primary, then standby sites) are tried in order when one is unreachable
  or in trouble (5xx: a dead server behind its proxy, a server without its database).
- A push the server refuses (a change naming an incident it has not heard of, e.g. at a
  standby still catching up) stays in the outbox, and the round goes on pulling before it
  reports the refusal: one stuck change never cuts a tablet off from everyone else's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from mobile_app.store import SnapshotProgress, StorageFailed
from mobile_app.sync.batching import PullBatch
from mobile_app.sync.collector import collector_paused
from mobile_app.sync.errors import (
    DeviceRevoked,
    Offline,
    PasswordChangeRefused,
    PushRefused,
    Refused,
    ServerTrouble,
    SignInRefused,
    SignInRequired,
    StorageTrouble,
)
from mobile_app.sync.port import Replicating
from mobile_app.sync.replies import from_the_server
from mobile_app.sync.snapshots import StatesPage, read_entity, read_page
from shared import api
from shared.api import LoginRequest, PasswordChange, RefreshRequest, TokenPair
from shared.merge.replica import EntityState
from shared.protocol import (
    MAX_BATCH,
    ErrorBody,
    ErrorCode,
    Op,
    PullPage,
    SyncRequest,
    SyncResponse,
)
from shared.urls import InsecureServer, checked_server_url

log = logging.getLogger(__name__)

#: Headers that keep the wire small: pages are JSON and compress well.
_HEADERS = {"Accept-Encoding": "gzip", "Content-Type": "application/json"}


#: The server sends a heartbeat every ~15 s; silence this long means the stream is dead.
_SSE_READ_TIMEOUT_S = 45.0

#: Refusals fixed in a row (refresh, re-stamp, rewind) before giving up on this round.
_MAX_RECOVERIES = 3


@dataclass(frozen=True)
class RoundResult:
    pushed: int
    pulled: int
    cursor: int
    server: str


class SyncClient:
    def __init__(
        self,
        store: Replicating,
        servers: Sequence[str],
        tokens: TokenPair,
        *,
        http: httpx.AsyncClient | None = None,
        page_limit: int = 500,
        timeout_s: float = 15.0,
        on_tokens: Callable[[TokenPair], None] | None = None,
    ) -> None:
        if not servers:
            raise ValueError("at least one server URL is needed")
        self.store = store
        self.servers = [checked_server_url(s) for s in servers]
        self.active = 0
        self.tokens = tokens
        self._learn_sites(tokens)
        self.page_limit = page_limit
        self._http = http or httpx.AsyncClient(timeout=timeout_s)
        self._on_tokens = on_tokens
        self._held = PullBatch()
        #: Called with (changes pulled so far, more to come) after every page.
        self.progress_listeners: list[Callable[[int, bool], None]] = []
        #: Called with each pulled batch once it is merged into the store (on a worker thread).
        self.merge_listeners: list[Callable[[PullPage], None]] = []
        self._refused: list[str] = []
        #: The server lacked changes it had acknowledged; they are queued again to push.
        self._resend = False

    def _learn_sites(self, tokens: TokenPair) -> None:
        """Add the agency's other sites (sent with every sign-in) after the ones known, so a
        device enrolled at the primary fails over to the standby without a typed address."""
        for url in tokens.sites:
            try:
                site = checked_server_url(url)
            except InsecureServer as insecure:
                log.warning("ignoring a site address the server sent: %s", insecure)
                continue
            if site not in self.servers:
                self.servers.append(site)

    @property
    def server(self) -> str:
        return self.servers[self.active]

    async def aclose(self) -> None:
        await self._http.aclose()

    async def sync_once(self) -> RoundResult:
        """Push everything pending and pull until caught up, or raise a ``SyncFailed``."""
        try:
            try:
                result = await self._sync_once()
            finally:
                await self._merge_held()
            await self._refetch_purged()
            return result
        except StorageFailed as failed:  # a full device: retried like any failed round
            raise StorageTrouble(failed.full) from failed

    async def _sync_once(self) -> RoundResult:
        if self.store.resync_needed:
            log.warning("this device lost history only the server has: pulling everything again")
            self.store.reset_cursor()
        pushed = pulled = 0
        last_error: Offline | ServerTrouble | None = None
        for _ in range(len(self.servers)):
            recoveries = 0
            # A refused push does not stop the pull: the device keeps receiving what others
            # do, and the refused changes wait in the outbox for the next round.
            held_back: PushRefused | None = None
            try:
                if self.store.cursor == 0:
                    # A new device starts from the server's merged states, one per incident or
                    # unit, instead of replaying every op ever made to them.
                    await self._load_snapshot()
                while True:
                    try:
                        batch, response = await self._round(push=held_back is None)
                    except PushRefused as refused:
                        if held_back is not None:
                            raise
                        held_back = refused
                        continue
                    if response is None:
                        recoveries += 1
                        if recoveries > _MAX_RECOVERIES:
                            raise Refused("the same refusal keeps coming back")
                        continue
                    pushed += len(batch)
                    pulled += len(response.pull.changes)
                    for listener in self.progress_listeners:
                        listener(pulled, response.pull.has_more)
                    if not response.pull.has_more and len(batch) < MAX_BATCH:
                        if self._resend and held_back is None:
                            self._resend = False
                            continue  # push what the server turned out to lack
                        if held_back is not None:
                            raise held_back
                        return RoundResult(pushed, pulled, self.store.cursor, self.server)
            except (Offline, ServerTrouble) as failed:
                # The next site's server, if the agency has one: a center being evacuated.  A
                # site in trouble counts as down: the proxy in front of a dead server answers
                # 502, a server whose database is gone answers 500.
                await self._merge_held()  # what this server sent is kept, with its cursor
                last_error = failed
                self.active = (self.active + 1) % len(self.servers)
        assert last_error is not None
        raise last_error

    async def _round(self, *, push: bool = True) -> tuple[list[Op], SyncResponse | None]:
        """One request; ``None`` when a refusal was handled and the round should be retried."""
        batch = self.store.pending_ops(MAX_BATCH) if push else []
        request = SyncRequest(
            device_id=self.store.device_id,
            ops=batch,
            cursor=self.store.cursor if self._held.cursor is None else self._held.cursor,
            limit=self.page_limit,
        )
        started = time.monotonic()
        reply = await self._post(api.SYNC, request.model_dump_json())
        rtt_ms = int((time.monotonic() - started) * 1000)
        if reply.status_code >= 400:
            await self._merge_held()  # recovering may reset or move the cursor
            await self._recover(reply, rtt_ms, pushed=bool(batch))
            return [], None
        # Parsing and merging a page takes a while: off the event loop the app's screens run
        # on, so a dispatcher's tap is handled between merge chunks, not after the page.
        response = await asyncio.to_thread(self._take, reply.content, rtt_ms)
        return batch, response

    def _take(self, content: bytes, rtt_ms: int) -> SyncResponse:
        with collector_paused():
            response = SyncResponse.model_validate_json(content)
            self.store.observe_server_time(response.pull.server_time_ms, rtt_ms)
            self.store.ack(response.push.last_seq)
            if response.push.last_seq < self.store.acked_seq:
                # The server lacks changes it once acknowledged: it was restored from a
                # backup, or it is a standby the primary had not copied them to yet.  Only
                # this device still has them: send them again (its seq check keeps it exact).
                log.warning(
                    "the server has this device's changes only up to %d of %d: sending the "
                    "rest again",
                    response.push.last_seq,
                    self.store.acked_seq,
                )
                self.store.rewind_ack(response.push.last_seq)
                self._resend = True
            if self._held.add(response.pull):
                self._merge_held_now()
        return response

    async def _merge_held(self) -> None:
        if self._held.cursor is not None:  # something is held
            await asyncio.to_thread(self._merge_held_now)

    def _merge_held_now(self) -> None:
        page = self._held.take()
        if page is not None:
            with collector_paused():
                merged = self.store.apply_page(page)
            self._refused.extend(merged.refused)
            for listener in self.merge_listeners:
                listener(page)

    def take_refused(self) -> list[str]:
        """Why the server refused changes made here, learnt since the last call (each change
        has been undone on this device); for the dispatcher to be told once."""
        refused, self._refused = self._refused, []
        return refused

    async def _recover(self, reply: httpx.Response, rtt_ms: int, *, pushed: bool = False) -> None:
        """Act on a refusal so the next round can succeed; raise if a person must act.

        ``pushed``: the refused request carried this device's changes.  Whatever the server
        holds against them (an incident it has not heard of yet, an author it does not know
        signed in here), the device must not go deaf until it is sorted out: the changes stay
        in the outbox and the round goes on pulling (``PushRefused``)."""
        if reply.status_code >= 500:
            raise ServerTrouble(reply.status_code)
        try:
            error = ErrorBody.model_validate_json(reply.content)
        except ValidationError:
            raise Refused(f"HTTP {reply.status_code}") from None
        if error.error is ErrorCode.DEVICE_REVOKED or error.wipe:
            self.store.wipe("this device was revoked by the agency")
            raise DeviceRevoked()
        if error.error is ErrorCode.UNAUTHORIZED:
            await self._refresh()
        elif error.error is ErrorCode.CLOCK_AHEAD:
            self.store.restamp_outbox(server_time_ms=error.server_time_ms, round_trip_ms=rtt_ms)
        elif error.error is ErrorCode.SEQ_GAP and error.expected_seq is not None:
            # The server lacks ops we thought it had (a standby that never got them): resend.
            self.store.rewind_ack(error.expected_seq - 1)
        elif error.error is ErrorCode.RESYNC_REQUIRED:
            await self._load_snapshot()
        elif pushed:
            raise PushRefused(error.detail)
        else:
            raise Refused(error.detail)

    async def _load_snapshot(self) -> None:
        """Start from the server's merged states (a new device, or a log compacted past our
        cursor): adopt them page by page, then pull on from the first page's cursor.  Each
        page commits with how far the load got, so a cut goes on from the next page."""
        progress = self.store.snapshot_progress
        after, first_cursor = (progress.next_after, progress.cursor) if progress else (None, None)
        done = progress is not None and progress.next_after is None
        recoveries = 0
        while not done:
            query = f"?limit={self.page_limit}" + (f"&after={after}" if after else "")
            reply = await self._send("GET", api.SNAPSHOT + query, "")
            if reply.status_code != 200:
                # Like any refusal: a revoked device wipes, an expired token is refreshed and
                # the page asked for again, anything else is raised for a person to see.
                recoveries += 1
                if recoveries > _MAX_RECOVERIES:
                    raise Refused(f"snapshot refused (HTTP {reply.status_code})")
                await self._recover(reply, 0)
                continue
            page = await asyncio.to_thread(_read_snapshot_page, reply.content)
            if first_cursor is None:
                first_cursor = page.cursor
            reached = SnapshotProgress(first_cursor, page.next_after)
            await asyncio.to_thread(self._adopt_page, page.states, reached)
            after, done = page.next_after, page.next_after is None
        assert first_cursor is not None
        self.store.resume_from(first_cursor)

    def _adopt_page(self, states: list[EntityState], progress: SnapshotProgress) -> None:
        """Adopt a snapshot page with the collector held off, as a pulled batch is merged."""
        with collector_paused():
            self.store.adopt_snapshot(states, progress=progress)

    async def _refetch_purged(self) -> None:
        """Incidents this device let go (``store.retention``) that a pulled change touched:
        fetch each whole, so a reopened call comes back with its address, caller and notes
        instead of the one change pulled.  One that fails now is fetched next round."""
        for key in self.store.refetch_needed():
            path = api.ENTITY.format(entity=key[0].value, entity_id=key[1])
            reply = await self._send("GET", path, "")
            if reply.status_code not in (200, 404):
                await self._recover(reply, 0)  # an expired token is refreshed; next round
                return
            state = read_entity(reply.content) if reply.status_code == 200 else None
            await asyncio.to_thread(self.store.adopt_refetched, key, state)

    async def _refresh(self) -> None:
        body = RefreshRequest(refresh_token=self.tokens.refresh_token).model_dump_json()
        reply = await self._send("POST", api.REFRESH, body, auth=False)
        if reply.status_code != 200:
            detail = self._refusal(reply)
            log.info("the server refused to refresh this device's sign-in: %s", detail)
            raise SignInRequired(detail)
        self._adopt(TokenPair.model_validate_json(reply.content))

    async def sign_in(self, password: str, otp: str | None = None) -> TokenPair:
        """Sign this device's account in again with its password (and its authenticator app's
        code, for accounts that have one), after ``SignInRequired``.

        The account is the store's own (every op in its outbox is signed by it); each site is
        tried in turn, as for a sync.  Raises ``SignInRefused`` with the server's reason (a
        wrong password, a locked account), ``Offline``, or ``DeviceRevoked`` (wiped)."""
        if not password:
            raise SignInRefused("enter your password")
        body = LoginRequest(
            username=self.tokens.user_id,
            password=password,
            device_id=self.store.device_id,
            otp=otp,
        ).model_dump_json()
        for attempt in range(len(self.servers)):
            try:
                reply = await self._send("POST", api.LOGIN, body, auth=False)
                if reply.status_code >= 500:
                    raise ServerTrouble(reply.status_code)
                break
            except (Offline, ServerTrouble):
                if attempt == len(self.servers) - 1:
                    raise
                self.active = (self.active + 1) % len(self.servers)
        if reply.status_code != 200:
            raise SignInRefused(self._refusal(reply))
        self._adopt(TokenPair.model_validate_json(reply.content))
        log.info("%s signed in again on this device", self.tokens.user_id)
        return self.tokens

    async def change_password(self, current: str, new: str, otp: str | None = None) -> TokenPair:
        """Change the account's own password: the current one (and the authenticator app's
        code, for accounts that have one) proves it is its holder.  The server ends every
        other session of the account; this device carries on with the fresh pair it returns.

        The sign-in is refreshed first, so a refusal can only be about what was typed.
        Raises ``PasswordChangeRefused`` with the server's reason, ``SignInRequired`` (sign in
        first), ``Offline``, or ``DeviceRevoked`` (wiped)."""
        try:
            body = PasswordChange(
                current_password=current, new_password=new, otp=otp
            ).model_dump_json()
        except ValidationError:
            raise PasswordChangeRefused(
                f"enter the current password, and a new one of {api.MIN_PASSWORD} characters "
                "or more"
            ) from None
        await self._refresh()
        reply = await self._send("POST", api.PASSWORD, body)
        if reply.status_code != 200:
            raise PasswordChangeRefused(self._refusal(reply))
        self._adopt(TokenPair.model_validate_json(reply.content))
        log.info("%s changed their password on this device", self.tokens.user_id)
        return self.tokens

    def _refusal(self, reply: httpx.Response) -> str:
        """The server's reason for refusing a sign-in; a revoked device is wiped first."""
        if reply.status_code >= 500:
            raise ServerTrouble(reply.status_code)
        try:
            error = ErrorBody.model_validate_json(reply.content)
        except ValidationError:
            return f"the server answered {reply.status_code}"
        if error.error is ErrorCode.DEVICE_REVOKED or error.wipe:
            self.store.wipe("this device was revoked by the agency")
            raise DeviceRevoked()
        return error.detail

    def _adopt(self, tokens: TokenPair) -> None:
        """New tokens (a refresh or a sign-in): used from now on and kept in the store."""
        self.tokens = tokens
        self._learn_sites(tokens)
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    async def _post(self, path: str, body: str) -> httpx.Response:
        return await self._send("POST", path, body)

    async def _send(
        self, method: str, path: str, body: str, *, auth: bool = True
    ) -> httpx.Response:
        headers = dict(_HEADERS)
        if auth:
            headers["Authorization"] = f"Bearer {self.tokens.access_token}"
        try:
            reply = await self._http.request(
                method, self.server + path, content=body, headers=headers
            )
        except (httpx.TransportError, httpx.DecodingError) as cut:
            raise Offline(f"{type(cut).__name__}: {cut}") from cut
        return from_the_server(reply)

    async def announcements(self) -> AsyncIterator[int]:
        """Follow the server's live stream; yields the latest change seq at each announcement.

        Ends (or raises ``Offline``) when the stream breaks; the scheduler reconnects.
        """
        headers = {"Authorization": f"Bearer {self.tokens.access_token}"}
        timeout = httpx.Timeout(10.0, read=_SSE_READ_TIMEOUT_S)
        try:
            async with self._http.stream(
                "GET", self.server + api.EVENTS, headers=headers, timeout=timeout
            ) as stream:
                if stream.status_code != 200:
                    await stream.aread()
                    await self._recover(stream, 0)
                    return
                event = ""
                async for line in stream.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "changes":
                        yield int(json.loads(line[5:])["seq"])
                    elif not line:
                        event = ""
        except (httpx.TransportError, httpx.DecodingError) as cut:
            raise Offline(f"{type(cut).__name__}: {cut}") from cut


def _read_snapshot_page(content: bytes) -> StatesPage:
    """Decode a snapshot page off the event loop (hundreds of merged states: long enough to
    hold up a dispatcher's tap), with the collector held off like a pulled batch."""
    with collector_paused():
        return read_page(content)
