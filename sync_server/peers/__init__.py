"""Server-to-server replication between sites: a standby that takes over when the primary's
center is evacuated, and reconciliation when the primary returns.

How it works (every server runs the same code; "primary" and "standby" are only roles):

- Each server *pulls* from each of its peers (``DA_PEERS``), never pushes: the peer's change
  log page by page from a cursor checkpointed per peer in its own database (``da_meta``), in
  the same transaction as the page's effects.  Both directions run, so after a split each side
  ends up with every op either side accepted.
- A peer's ops are applied per origin device in seq order through ``service.apply.apply_ops``,
  the code a device's push goes through, so ``shared.merge`` raises the same conflicts on both
  servers.  An op at or below the device's applied seq is skipped (idempotent by
  ``(device_id, seq)``); a gap is refused, which keeps every op's causal context exact.  The
  peer's log order already respects each device's seq order.  Authorisation and the clock check
  were done by the server that first accepted the op; they are not repeated.
- Users, devices (with revocations) and who logged on from which device are replicated with
  the log (``directory``), so a device enrolled at one site signs in and pushes at the other.
  Access tokens verify at both sites because every site shares ``DA_SECRET_KEY`` (it also seals
  the records, so a database copy opens at either site).  Refresh tokens are *not* replicated:
  a device that fails over keeps working on its access token, and when that expires the
  standby asks the user to log on again (a password check, never a re-enrolment).
- Device cursors are positions in one server's log.  ``DA_SITE_NUMBER`` (distinct per site)
  starts each server's log seqs above ``site_number << 56`` (``logrange``), so a cursor from
  another site is either below this log (the device pulls it whole) or beyond its head (the
  device is told ``resync_required`` and loads a snapshot): never silently misread.
- Peers authenticate with ``DA_PEER_SECRET`` (the same on every site, at least 32 characters;
  ``Authorization: Peer <secret>`` plus ``X-DA-Peer-Id``), over https between sites.  User
  tokens of any role are refused on the peer endpoints.  Runs that changed something, failures
  and recoveries, and replicated revocations are audited.
- Compaction never drops changes a peer has not read (``peer.ack.*`` in ``da_meta``).

Runs every ``DA_PEER_SYNC_SECONDS`` as an APScheduler job (exponential backoff with jitter while
a peer is down, ``job``) and once with ``python -m sync_server peer-sync``.
"""
