"""Sync failures, each with a sentence a dispatcher can act on."""

from __future__ import annotations

from mobile_app.store.errors import StoreError


class SyncFailed(Exception):
    """Base: the round did not complete; local work is safe and will be retried."""

    retry = True

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


class Offline(SyncFailed):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "No connection to the server. Your work is saved on this device and will be sent "
            "when the connection returns."
        )
        self.detail = detail


class NotTheServer(Offline):
    """Something on the network answered instead of the server: a hotel or hotspot Wi-Fi
    sign-in page redirecting every request, or serving its own page.  Treated like no
    connection (the next site is tried, retries stay frequent), and said as what it is."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.words = (
            "This network is answering instead of the server (a Wi-Fi or hotspot sign-in "
            "page?). Your work is saved on this device and will be sent once the server can "
            "be reached."
        )
        self.args = (self.words,)


class ServerTrouble(SyncFailed):
    def __init__(self, status: int) -> None:
        super().__init__(
            f"The server is having trouble (error {status}). Your work is saved on this device; "
            "retrying."
        )


class Refused(SyncFailed):
    """The server refused a change. Kept in the outbox (never dropped) and retried."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The server refused a change: {detail}. It is kept on this device; tell your "
            "supervisor if this persists."
        )


class PushRefused(Refused):
    """The server refused this device's changes for now (a batch naming an incident a standby
    site has not heard of yet, or ops signed by someone it does not know signed in here); the
    device kept pulling, and the changes wait in the outbox for the next round.  An op the
    server will never take is not refused this way: it is logged as refused and undone here
    (``refused_words``)."""


class StorageTrouble(SyncFailed):
    """This device's storage refused to save what the server sent (full, failing): nothing
    was half-saved, the cursor did not move, and the round is retried after the backoff."""

    def __init__(self, full: bool) -> None:
        if full:
            words = (
                "This device's storage is full, so changes from the others cannot be saved. "
                "Free some space; sync tries again on its own."
            )
        else:
            words = (
                "This device's storage could not save changes from the others; sync tries "
                "again on its own. Tell IT if this keeps happening."
            )
        super().__init__(words)


class SyncBroken(SyncFailed):
    """A round failed on something no refusal or cut explains (a store that does not match
    the server's record of this device, a bug): said in words, never left as "Syncing", and
    retried after the backoff, since the local work is safe either way."""

    def __init__(self, cause: BaseException) -> None:
        # Store errors are written for people and never carry field values; anything else is
        # named by its type only, since its message could hold caller details.
        what = str(cause) if isinstance(cause, StoreError) else type(cause).__name__
        super().__init__(
            f"Sync stopped on a problem this device cannot fix alone ({what}). Your work is "
            "kept on this device and sync tries again; tell IT if this stays."
        )


class SignInRequired(SyncFailed):
    """The server no longer takes this device's sign-in (it ran out while the tablet was off,
    or the session was ended); the person signs in again with their password
    (``SyncClient.sign_in``), and until then their work waits on the device."""

    retry = False

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Your sign-in has ended. Enter your password to send your work; until then it is "
            "kept on this device."
        )
        self.detail = detail


class SignInRefused(SyncFailed):
    """The server refused the password typed to sign in again (wrong, or the account is locked
    or disabled); ``words`` carry its reason."""

    retry = False

    def __init__(self, detail: str) -> None:
        super().__init__(f"Sign-in refused: {detail}.")


class PasswordChangeRefused(SyncFailed):
    """The server refused a change of the account's own password (a wrong current password
    or code, a locked account, a new one it does not take); ``words`` carry its reason."""

    retry = False

    def __init__(self, detail: str) -> None:
        super().__init__(f"Password not changed: {detail}.")


class DeviceRevoked(SyncFailed):
    retry = False

    def __init__(self) -> None:
        super().__init__(
            "This device has been withdrawn by your agency and its data has been erased."
        )


def refused_words(reasons: list[str]) -> str | None:
    """What a dispatcher is told when changes of theirs were refused for good and undone."""
    if not reasons:
        return None
    what = "A change you made was" if len(reasons) == 1 else f"{len(reasons)} changes you made were"
    return (
        f"{what} refused by the server and undone on this device: {reasons[-1]}. "
        "Tell your supervisor."
    )
