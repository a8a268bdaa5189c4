"""Getting in: enrolling the device with the agency's server, unlocking with the PIN, and the
idle lock (CJIS 5.5.5: the session locks after 30 minutes without activity).

The rules that protect the data (attempt counting, wiping, key wrapping) live in the store;
this module only decides what the screens say and whether a form is complete enough to send.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from mobile_app.store.vault import MAX_PIN_LENGTH, MIN_PIN_LENGTH
from shared.api import MIN_PASSWORD

MIN_PIN = MIN_PIN_LENGTH
MAX_PIN = MAX_PIN_LENGTH
#: The idle lock warns this long before it locks, so a dispatcher mid-call can stay in.
IDLE_WARNING_S = 60.0

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A complete enrollment request (what the sync client's enrol call takes)."""

    server_url: str
    username: str
    password: str
    device_name: str
    pin: str
    #: The authenticator app's code, for accounts that have one (None: password only).
    otp: str | None = None


@dataclass(frozen=True, slots=True)
class EnrollForm:
    server_url: str = ""
    username: str = ""
    password: str = ""
    otp: str = ""
    device_name: str = ""
    pin: str = ""
    pin_again: str = ""


@dataclass(frozen=True, slots=True)
class EnrollCheck:
    errors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    enrollment: Enrollment | None = None


def check_enrollment(form: EnrollForm) -> EnrollCheck:
    errors: dict[str, str] = {}
    url, url_problem = normalize_server_url(form.server_url)
    if url_problem:
        errors["server_url"] = url_problem
    username = form.username.strip()
    if not username:
        errors["username"] = "Enter your user name"
    elif not _USERNAME.match(username):
        errors["username"] = "User names use letters, digits and . _ @ - only"
    if not form.password:
        errors["password"] = "Enter your password"
    otp, otp_problem = one_time_code(form.otp)
    if otp_problem:
        errors["otp"] = otp_problem
    device_name = form.device_name.strip()
    if not device_name:
        errors["device_name"] = "Name this device so IT can recognise it, e.g. Backup tablet 3"
    elif len(device_name) > 64:
        errors["device_name"] = "Device name is too long: 64 characters at most"
    errors.update(new_pin_problems(form.pin, form.pin_again))
    if errors:
        return EnrollCheck(errors=MappingProxyType(errors))
    return EnrollCheck(
        enrollment=Enrollment(
            server_url=url,
            username=username,
            password=form.password,
            device_name=device_name,
            pin=form.pin,
            otp=otp,
        )
    )


def one_time_code(text: str) -> tuple[str | None, str | None]:
    """The authenticator app's code as the server takes it (None when left empty: accounts
    without an app), or a sentence saying what is wrong.  Apps show it as "123 456"."""
    code = re.sub(r"[\s-]", "", text)
    if not code:
        return None, None
    if not _CODE.match(code):
        return None, "The code is the 6 digits your authenticator app shows"
    return code, None


def normalize_server_url(text: str) -> tuple[str, str | None]:
    """The server address without a trailing slash, or a sentence saying what is wrong.

    HTTPS is required (CJIS: encryption in transit); plain HTTP is accepted only for this
    machine itself (a server on the same laptop, as in a demo or a backup kit).
    """
    url = text.strip().rstrip("/")
    if not url:
        return "", "Enter the server address your IT team gave you"
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "", "That is not a server address: it should look like https://cad.example.org"
    if parts.scheme == "http" and not _loopback(parts.hostname):
        return "", "Use an https:// address: work must be encrypted on the way to the server"
    return url, None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_pin_problems(pin: str, again: str) -> dict[str, str]:
    """Problems with a new PIN and its confirmation, by field ("pin", "pin_again")."""
    if len(pin) < MIN_PIN:
        return {"pin": f"The PIN needs at least {MIN_PIN} characters"}
    if len(pin) > MAX_PIN:
        return {"pin": f"The PIN can have {MAX_PIN} characters at most"}
    if pin != again:
        return {"pin_again": "The two PINs do not match"}
    return {}


def new_password_problem(current: str, new: str, again: str) -> str | None:
    """What is wrong with a change of one's own password, before it is sent (the server's own
    rule, ``shared.api.MIN_PASSWORD``, checked here first so a slip is named); None if nothing."""
    if not current:
        return "Enter your current password"
    if len(new) < MIN_PASSWORD:
        return f"The new password needs at least {MIN_PASSWORD} characters"
    if new != again:
        return "The two new passwords do not match"
    if new == current:
        return "The new password must differ from the current one"
    return None


def unlock_problem(pin: str) -> str | None:
    """Checked before trying: an empty or short PIN must not cost one of the attempts."""
    if not pin:
        return "Enter your PIN"
    if len(pin) < MIN_PIN:
        return f"PINs have at least {MIN_PIN} characters"
    return None


def wrong_pin_message(attempts_left: int) -> str:
    if attempts_left <= 1:
        return (
            "Wrong PIN. One attempt left: one more wrong PIN erases this device's data "
            "(work already sent to the server is safe)."
        )
    return f"Wrong PIN. {attempts_left} attempts left before this device's data is erased."


def wiped_message(reason: str) -> str:
    return (
        f"This device's data was erased ({reason}). Work that reached the server is safe. "
        "Enroll the device again to continue."
    )


def idle_warning(remaining_s: float) -> str | None:
    """A countdown once the idle lock is close; None while there is time left."""
    if remaining_s > IDLE_WARNING_S:
        return None
    if remaining_s <= 0:
        return "Locked for inactivity"
    return f"Locking in {int(remaining_s + 0.999)} s for inactivity. Tap anywhere to stay in."
