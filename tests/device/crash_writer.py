"""A dispatcher's session that the crash test kills with SIGKILL at a random moment.

Run as ``python -m tests.device.crash_writer DB PIN SEED REMOTE_OPS_JSONL``.  It loops forever
over random local actions and pulled pages (from a file of another device's ops), and prints
``op <seq>`` after each action returns and ``cursor <n>`` after each page is merged: what it
printed is what a user was told had been saved.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from mobile_app.store import LocalStore
from shared.commands import CommandError
from shared.lifecycle import UnitStatus
from shared.protocol import Change, Op

UNITS = ("E1", "E2", "M3")


def main(db: str, pin: str, seed: int, remote_file: str) -> None:
    rng = random.Random(seed)
    remote = [Op.model_validate_json(line) for line in Path(remote_file).read_text().splitlines()]
    store = LocalStore.unlock(db, pin, chunk_size=rng.randint(2, 9))
    while True:
        choice = rng.random()
        if choice < 0.25 and store.cursor < len(remote):
            start = store.cursor
            end = min(len(remote), start + rng.randint(1, 40))
            page = [Change(seq=i + 1, op=remote[i]) for i in range(start, end)]
            store.apply_pulled(page, cursor=end)
            print(f"cursor {end}", flush=True)
            continue
        try:
            op = _local_action(store, rng)
        except CommandError:
            continue
        print(f"op {op.seq}", flush=True)


def _local_action(store: LocalStore, rng: random.Random) -> Op:
    incidents = [i.incident_id for i in store.incidents()]
    choice = rng.random()
    if choice < 0.2 or not incidents:
        fields = {"incident_type": "FSTRU", "address": f"{rng.randint(1, 999)} Mission St"}
        return store.create_incident(fields, rng.randint(1, 5), f"call {rng.random()}")
    incident_id = rng.choice(incidents)
    if choice < 0.5:
        return store.add_note(incident_id, f"note {rng.random()}")
    if choice < 0.6:
        return store.change_priority(incident_id, rng.randint(1, 5))
    if choice < 0.7:
        return store.update_incident(incident_id, {"caller_name": f"caller {rng.random()}"})
    unit_id = rng.choice(UNITS)
    if choice < 0.8:
        return store.upsert_unit(unit_id, name=unit_id, unit_type="ENGINE")
    return store.set_unit_status(unit_id, UnitStatus.DISPATCHED, incident_id=incident_id)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
