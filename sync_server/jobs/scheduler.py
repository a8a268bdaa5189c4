"""Run the jobs in a background thread of each server process.

Every job is safe to run in several processes at once (unique keys, idempotent deletes), so a
multi-process deployment needs no leader election.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from sync_server.context import Context
from sync_server.jobs.maintenance import compact_changes, purge_expired_tokens
from sync_server.peers.job import PeerJob
from sync_server.service.alerts import raise_onscene_alerts

log = logging.getLogger(__name__)


def _guarded(name: str, job: Callable[[Context], object], ctx: Context) -> Callable[[], None]:
    def run() -> None:
        try:
            job(ctx)
        except Exception:  # a failing job must not stop the scheduler
            log.exception("job %s failed", name)

    return run


def start_jobs(ctx: Context) -> BackgroundScheduler:
    settings = ctx.settings
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )
    jobs: list[tuple[str, Callable[[Context], object], float]] = [
        ("onscene-alerts", raise_onscene_alerts, settings.alert_check_seconds),
        ("token-cleanup", purge_expired_tokens, settings.cleanup_seconds),
        ("compaction", compact_changes, settings.compaction_seconds),
    ]
    if settings.peers:
        jobs.append(("peer-sync", PeerJob(), settings.peer_sync_seconds))
    for name, job, seconds in jobs:
        scheduler.add_job(_guarded(name, job, ctx), "interval", seconds=seconds, id=name)
    scheduler.start()
    return scheduler
