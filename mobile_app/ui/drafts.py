"""The call being typed, kept in the encrypted store while it is typed.

A call-taker's tablet can die mid-call (a flat battery, the app killed): what was typed is
given back at the next unlock, its start time (the call's received time) included.  Kept at
most once per change (the app's one-second tick), cleared the moment the call is saved, and
never a reason for a screen to fail: a draft that cannot be kept is logged and tried again.
"""

from __future__ import annotations

import logging

from mobile_app.store.errors import StoreError, StoreLocked
from mobile_app.ui.ports import DataPort
from mobile_app.ui.viewmodels.intake import IntakeForm, already_saved, draft_text, form_from_draft

log = logging.getLogger(__name__)


class DraftKeeper:
    def __init__(self, store: DataPort) -> None:
        self._store = store
        self._kept: IntakeForm | None = None
        """What the store holds (None: not known yet, so the first ``keep`` writes)."""

    def keep(self, form: IntakeForm) -> None:
        if form == self._kept:
            return
        try:
            self._store.keep_draft(draft_text(form))
        except StoreLocked:  # the PIN screen is on its way, with the draft kept in memory
            return
        except StoreError as failed:  # storage full, say: the next tick tries again
            log.warning("the call being typed could not be kept: %s", failed)
            return
        self._kept = form


def restored_draft(store: DataPort) -> IntakeForm | None:
    """The call that was being typed when the device stopped, unless it was saved after all."""
    try:
        form = form_from_draft(store.draft())
        # Just saved, so still open: the queue the screen reads anyway.
        if form is None or already_saved(form, store.incidents(open_only=True)):
            return None
    except StoreError as failed:
        log.warning("the call that was being typed cannot be read back: %s", failed)
        return None
    return form
