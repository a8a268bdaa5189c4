"""PINs, the wrapped data key, lockout and wipe: what IT and a dispatcher can rely on."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mobile_app.store import (
    MAX_PIN_ATTEMPTS,
    ChangeKind,
    KdfParams,
    LocalStore,
    StoreChange,
    StoreExists,
    StoreLocked,
    StoreNotFound,
    StoreWiped,
    WeakPin,
    WrongPin,
)
from mobile_app.store.files import StorePaths
from mobile_app.store.kdf import argon2id_available
from tests.device.conftest import FAST_KDF, PIN, MakeStore

ROOT = Path(__file__).resolve().parents[2]


def _new_store(path: Path) -> None:
    store = LocalStore.create(path, PIN, "dev-a", "alice", kdf=FAST_KDF)
    store.create_incident({"incident_type": "FSTRU", "address": "1 Test Way"}, 2)
    store.lock()


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_the_right_pin_opens_the_store_and_shows_the_data(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)

    store = LocalStore.unlock(path, PIN)

    assert [i.location.address for i in store.incidents()] == ["1 Test Way"]
    assert LocalStore.failed_pin_attempts(path) == 0


def test_each_wrong_pin_counts_down_and_the_fifth_wipes_everything(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)

    left = []
    for _ in range(MAX_PIN_ATTEMPTS - 1):
        with pytest.raises(WrongPin) as wrong:
            LocalStore.unlock(path, "0000")
        left.append(wrong.value.attempts_left)
    assert left == [4, 3, 2, 1]
    assert "1 attempt left" in str(wrong.value)

    with pytest.raises(StoreWiped, match="5 wrong PINs"):
        LocalStore.unlock(path, "0000")

    assert [p.name for p in _files(path)] == ["a.db.wiped"]
    with pytest.raises(StoreWiped):
        LocalStore.unlock(path, PIN)  # the right PIN is too late: the key is gone
    assert LocalStore.wipe_reason(path) == "5 wrong PINs"


def test_a_correct_pin_resets_the_count(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)
    for _ in range(3):
        with pytest.raises(WrongPin):
            LocalStore.unlock(path, "0000")

    LocalStore.unlock(path, PIN).lock()

    with pytest.raises(WrongPin) as wrong:
        LocalStore.unlock(path, "0000")
    assert wrong.value.attempts_left == 4


def test_the_failure_count_survives_an_app_restart(tmp_path: Path):
    """Two wrong PINs in one process, two in another: the next process has one try left."""
    path = tmp_path / "a.db"
    _new_store(path)
    script = (
        "import sys\n"
        "from mobile_app.store import LocalStore, WrongPin\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        LocalStore.unlock(sys.argv[1], '0000')\n"
        "    except WrongPin as wrong:\n"
        "        print(wrong.attempts_left)\n"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.split()
        for _ in range(2)
    ]

    assert outputs == [["4", "3"], ["2", "1"]]
    with pytest.raises(StoreWiped):
        LocalStore.unlock(path, "0000")


def test_a_hand_edited_failure_counter_is_detected_and_wipes_the_store(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)
    for _ in range(4):
        with pytest.raises(WrongPin):
            LocalStore.unlock(path, "0000")
    keys = StorePaths.of(path).keys
    record = json.loads(keys.read_text())
    record["failures"] = 0  # an attacker buying more guesses
    keys.write_text(json.dumps(record))

    with pytest.raises(StoreWiped, match="tampered"):
        LocalStore.unlock(path, PIN)
    assert not path.exists()


def test_an_attempt_counts_as_failed_before_the_pin_is_even_checked(tmp_path: Path):
    """Killing the app during the slow key derivation must not give a free guess."""
    path = tmp_path / "a.db"
    _new_store(path)
    script = (
        "import os, sys\n"
        "from mobile_app.store import kdf\n"
        "def killed(self, secret, salt):\n"
        "    os._exit(9)  # the process dies in the middle of the key derivation\n"
        "kdf.KdfParams.derive = killed\n"
        "from mobile_app.store import LocalStore\n"
        "LocalStore.unlock(sys.argv[1], '0000')\n"
    )
    died = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, timeout=120
    )

    assert died.returncode == 9
    assert LocalStore.failed_pin_attempts(path) == 1


def test_changing_the_pin_rewraps_the_key_and_leaves_every_record_untouched(tmp_path: Path):
    path = tmp_path / "a.db"
    store = LocalStore.create(path, PIN, "dev-a", "alice", kdf=FAST_KDF)
    incident = store.create_incident({"incident_type": "FSTRU", "caller_name": "R. Roe"}, 2)
    store.add_note(incident.entity_id, "second floor")
    keys = StorePaths.of(path).keys
    wrapped_before = json.loads(keys.read_text())["wrapped_key"]
    rows_before = _sealed_columns(path)

    store.change_pin(PIN, "7319-new")

    assert _sealed_columns(path) == rows_before
    assert json.loads(keys.read_text())["wrapped_key"] != wrapped_before
    assert store.incident(incident.entity_id).caller.name == "R. Roe"  # still open
    store.lock()
    with pytest.raises(WrongPin):
        LocalStore.unlock(path, PIN)
    reopened = LocalStore.unlock(path, "7319-new")
    assert reopened.incident(incident.entity_id).caller.name == "R. Roe"
    reopened.lock()


def test_a_wrong_old_pin_does_not_change_the_pin_and_counts_as_a_failure(store: LocalStore):
    with pytest.raises(WrongPin) as wrong:
        store.change_pin("0000", "9999")
    assert wrong.value.attempts_left == MAX_PIN_ATTEMPTS - 1
    store.change_pin(PIN, "9999")  # the store still works, with the old PIN


def test_pins_shorter_than_four_characters_are_refused(tmp_path: Path, store: LocalStore):
    with pytest.raises(WeakPin):
        LocalStore.create(tmp_path / "b.db", "123", "dev-b", "bob", kdf=FAST_KDF)
    with pytest.raises(WeakPin):
        store.change_pin(PIN, "12")


def test_a_wipe_order_destroys_the_key_and_the_data(tmp_path: Path, make_store: MakeStore):
    store = make_store()
    heard: list[StoreChange] = []
    store.listen(heard.append)
    store.create_incident({"incident_type": "FSTRU"}, 1)

    store.wipe()

    path = tmp_path / "dev-a.db"
    assert [p.name for p in _files(path)] == ["dev-a.db.wiped"]
    assert heard[-1].kind is ChangeKind.WIPED
    with pytest.raises(StoreLocked):
        store.incidents()
    with pytest.raises(StoreWiped, match="wipe order"):
        LocalStore.unlock(path, PIN)


def test_a_wipe_order_received_while_locked_still_destroys_everything(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)

    LocalStore.destroy(path, "wipe order from the server")

    assert [p.name for p in _files(path)] == ["a.db.wiped"]
    assert LocalStore.wipe_reason(path) == "wipe order from the server"


def test_a_new_store_can_be_enrolled_where_one_was_wiped(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)
    LocalStore.destroy(path, "wipe order from the server")

    fresh = LocalStore.create(path, PIN, "dev-new", "alice", kdf=FAST_KDF)

    assert fresh.incidents() == []
    assert LocalStore.wipe_reason(path) is None
    fresh.lock()


def test_creating_over_an_existing_store_is_refused(tmp_path: Path):
    path = tmp_path / "a.db"
    _new_store(path)
    with pytest.raises(StoreExists):
        LocalStore.create(path, PIN, "dev-b", "bob", kdf=FAST_KDF)
    assert LocalStore.unlock(path, PIN).incidents()  # the existing store is intact


def test_unlocking_where_there_is_no_store_says_so(tmp_path: Path):
    with pytest.raises(StoreNotFound):
        LocalStore.unlock(tmp_path / "nothing.db", PIN)


def test_a_lost_device_secret_makes_the_data_unrecoverable_and_says_so(tmp_path: Path):
    """Without the keystore's secret the PIN alone cannot unwrap the key."""
    path = tmp_path / "a.db"
    _new_store(path)
    StorePaths.of(path).secret.unlink()

    with pytest.raises(StoreWiped, match="device secret"):
        LocalStore.unlock(path, PIN)


def test_production_kdf_defaults_are_strong_and_tests_use_cheap_ones():
    strong = KdfParams.strong()
    if argon2id_available():
        assert (strong.name, strong.memory_kib, strong.iterations) == ("argon2id", 65536, 3)
    else:
        assert (strong.name, strong.log2_n, strong.r, strong.p) == ("scrypt", 17, 8, 1)
    assert FAST_KDF.name == strong.name


def test_the_scrypt_fallback_opens_a_store_too(tmp_path: Path):
    path = tmp_path / "a.db"
    scrypt = KdfParams(name="scrypt", log2_n=4, r=1)
    LocalStore.create(path, PIN, "dev-a", "alice", kdf=scrypt).lock()

    assert json.loads(StorePaths.of(path).keys.read_text())["kdf"]["name"] == "scrypt"
    LocalStore.unlock(path, PIN).lock()


def _sealed_columns(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        states = db.execute("select kind, entity_id, state from entity order by 1, 2").fetchall()
        ops = db.execute("select device_id, seq, op from op_log order by 1, 2").fetchall()
    return [*states, *ops]
