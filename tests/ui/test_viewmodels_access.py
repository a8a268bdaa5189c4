"""Enrollment, unlocking, the idle lock, and which screens each role gets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mobile_app.ui.viewmodels.access import (
    EnrollForm,
    check_enrollment,
    idle_warning,
    new_password_problem,
    normalize_server_url,
    unlock_problem,
    wiped_message,
    wrong_pin_message,
)
from mobile_app.ui.viewmodels.navigation import Tab, navigation_for, two_panes
from shared.api import Role

GOOD = EnrollForm(
    server_url="https://cad.example.org/",
    username="alice",
    password="s3cret!",
    device_name="Backup tablet 3",
    pin="4711",
    pin_again="4711",
)


# Enrollment ------------------------------------------------------------------------------
def test_a_complete_form_becomes_an_enrollment_request():
    check = check_enrollment(GOOD)
    assert check.errors == {}
    assert check.enrollment is not None
    assert check.enrollment.server_url == "https://cad.example.org"
    assert check.enrollment.device_name == "Backup tablet 3"


def test_an_empty_form_lists_every_missing_field_in_words():
    check = check_enrollment(EnrollForm())
    assert check.enrollment is None
    assert check.errors == {
        "server_url": "Enter the server address your IT team gave you",
        "username": "Enter your user name",
        "password": "Enter your password",
        "device_name": "Name this device so IT can recognise it, e.g. Backup tablet 3",
        "pin": "The PIN needs at least 4 characters",
    }


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("", None), ("123456", "123456"), ("123 456", "123456"), (" 123-456 ", "123456")],
)
def test_the_authenticator_code_is_optional_and_may_be_typed_as_the_app_shows_it(typed, sent):
    check = check_enrollment(replace(GOOD, otp=typed))
    assert check.enrollment is not None and check.enrollment.otp == sent


@pytest.mark.parametrize("typed", ["12345", "1234567", "abc123", "12 34 5"])
def test_a_code_that_is_not_six_digits_is_caught_before_it_costs_an_attempt(typed):
    check = check_enrollment(replace(GOOD, otp=typed))
    assert check.errors == {"otp": "The code is the 6 digits your authenticator app shows"}


def test_the_pin_must_be_typed_twice_the_same():
    check = check_enrollment(replace(GOOD, pin_again="4712"))
    assert check.errors == {"pin_again": "The two PINs do not match"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("cad.example.org", "https://cad.example.org"),
        ("https://cad.example.org:8443/", "https://cad.example.org:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:8000/", "http://localhost:8000"),
    ],
)
def test_server_addresses_are_normalised(typed, expected):
    assert normalize_server_url(typed) == (expected, None)


def test_plain_http_to_another_machine_is_refused_because_work_must_be_encrypted():
    url, problem = normalize_server_url("http://cad.example.org")
    assert url == ""
    assert problem == "Use an https:// address: work must be encrypted on the way to the server"


def test_something_that_is_not_an_address_is_explained():
    _, problem = normalize_server_url("ftp://cad")
    assert problem is not None and problem.startswith("That is not a server address")


def test_user_names_follow_the_servers_rules():
    check = check_enrollment(replace(GOOD, username="alice smith"))
    assert check.errors == {"username": "User names use letters, digits and . _ @ - only"}


# Unlock ----------------------------------------------------------------------------------
def test_an_empty_or_short_pin_is_caught_before_it_costs_an_attempt():
    assert unlock_problem("") == "Enter your PIN"
    assert unlock_problem("12") == "PINs have at least 4 characters"
    assert unlock_problem("4711") is None


def test_wrong_pin_messages_count_down_and_warn_before_the_last_try():
    assert wrong_pin_message(3) == (
        "Wrong PIN. 3 attempts left before this device's data is erased."
    )
    last = wrong_pin_message(1)
    assert last.startswith("Wrong PIN. One attempt left")
    assert "work already sent to the server is safe" in last


def test_a_wiped_device_says_why_and_what_to_do():
    message = wiped_message("5 wrong PINs")
    assert "erased (5 wrong PINs)" in message
    assert message.endswith("Enroll the device again to continue.")


# Idle lock -------------------------------------------------------------------------------
def test_the_idle_lock_warns_only_in_the_last_minute():
    assert idle_warning(600) is None
    assert idle_warning(60.5) is None
    assert idle_warning(45.2) == "Locking in 46 s for inactivity. Tap anywhere to stay in."
    assert idle_warning(0) == "Locked for inactivity"


# Navigation and layout -------------------------------------------------------------------
def test_supervisors_get_the_conflicts_and_reports_tabs_and_dispatchers_do_not():
    assert navigation_for(Role.SUPERVISOR).tabs == (
        Tab.QUEUE,
        Tab.NEW_CALL,
        Tab.UNITS,
        Tab.CONFLICTS,
        Tab.REPORTS,
    )
    assert navigation_for(Role.DISPATCHER).tabs == (Tab.QUEUE, Tab.NEW_CALL, Tab.UNITS)
    assert [t.label for t in navigation_for(Role.DISPATCHER).tabs] == [
        "Queue",
        "New call",
        "Units",
    ]


def test_an_it_account_gets_no_incident_screens_and_an_explanation():
    nav = navigation_for(Role.ADMIN)
    assert nav.tabs == ()
    assert nav.message is not None and "sees no incident data" in nav.message


def test_a_phone_shows_one_pane_and_a_tablet_two():
    assert not two_panes(412)
    assert not two_panes(None)
    assert two_panes(1280)


@pytest.mark.parametrize(
    ("current", "new", "again", "problem"),
    [
        ("", "a long new one", "a long new one", "Enter your current password"),
        ("old one", "short", "short", "The new password needs at least 8 characters"),
        ("old one", "a long new one", "a long new on", "The two new passwords do not match"),
        ("same old one", "same old one", "same old one", "The new password must differ"),
        ("old one", "a long new one", "a long new one", None),
    ],
)
def test_a_password_change_names_the_slip_before_anything_is_sent(current, new, again, problem):
    found = new_password_problem(current, new, again)
    assert found == problem if problem is None else (found or "").startswith(problem)
