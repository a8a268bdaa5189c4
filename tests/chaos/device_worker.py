"""A tablet in its own process: writes and syncs in a loop until it is killed (kill -9).

Usage: python -m tests.chaos.device_worker STORE_PATH PIN SERVER_URL SEED
Prints "seq N" after each local write commits, so the killer knows what must survive.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from pathlib import Path

from mobile_app.store import LocalStore
from mobile_app.sync.client import SyncClient
from mobile_app.sync.enrollment import load_tokens
from mobile_app.sync.errors import SyncFailed


async def main(path: Path, pin: str, url: str, seed: int) -> None:
    rng = random.Random(seed)
    store = LocalStore.unlock(path, pin)
    tokens = load_tokens(store)
    assert tokens is not None
    client = SyncClient(store, [url], tokens)
    n = 0
    while True:
        for _ in range(rng.randint(1, 20)):
            n += 1
            op = store.upsert_unit(unit_id=f"K{seed}-{n}", name=f"K{n}")
            print(f"seq {op.seq}", flush=True)
        with contextlib.suppress(SyncFailed):
            await client.sync_once()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])))
