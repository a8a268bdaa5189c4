"""Periodic server jobs (APScheduler): timers, token cleanup, change-log compaction."""
