"""The UI's data port matches the local store, so a rename in the store breaks here, with
its name, rather than in a dispatcher's hands.  (The sync port is checked statically where
tests/ui/device.py hands the real scheduler to a Workspace.)"""

from __future__ import annotations

import inspect

import pytest

from mobile_app.store import LocalStore
from mobile_app.ui.ports import DataPort


def _members(protocol: type) -> list[str]:
    return sorted(
        name
        for name, value in vars(protocol).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    )


@pytest.mark.parametrize("name", _members(DataPort))
def test_the_local_store_offers_everything_the_screens_call(name):
    wanted = getattr(DataPort, name)
    offered = getattr(LocalStore, name, None)
    assert offered is not None, f"LocalStore has no {name}"
    if isinstance(wanted, property):
        assert isinstance(offered, property), f"LocalStore.{name} should be a property"
        return
    want = inspect.signature(wanted).parameters
    have = inspect.signature(offered).parameters
    for param in want.values():
        assert param.name in have, f"LocalStore.{name} lacks the parameter {param.name}"
        assert have[param.name].kind == param.kind, f"LocalStore.{name}({param.name}) differs"
        if param.default is not inspect.Parameter.empty:
            assert have[param.name].default == param.default, f"{name}({param.name}) default"


def test_the_store_satisfies_the_data_port_for_the_type_checker(tmp_path):
    from tests.ui.device import FAST_KDF, PIN

    store = LocalStore.create(tmp_path / "s.db", PIN, "dev-a", "alice", kdf=FAST_KDF)
    port: DataPort = store  # mypy checks this line against the protocol
    assert port.locked is False
    store.lock()
