"""The app's entry points: ``main(page)`` for a packaged build (``flet build``, see
``[tool.flet] app.module``) and ``serve_web`` for a browser (the demo, the browser tests).

One app process is one device: every browser session of ``serve_web`` shares one
``DeviceAccess`` over one data directory (see ``mobile_app.device`` for what a second session
does).  Where the data lives: ``DA_APP_DATA``, else the app's private storage on a phone
(``FLET_APP_STORAGE_DATA``, set by Flet), else ``./var/app/<profile>``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import flet as ft

from mobile_app.device import DEFAULT_KEEP_CLOSED_DAYS, DeviceAccess, DeviceSettings
from mobile_app.ui.app import AppServices, build_app
from mobile_app.ui.viewmodels.access import EnrollForm

DEFAULT_PROFILE = "tablet"


@dataclass(frozen=True)
class AppConfig:
    data_dir: Path
    server_url: str = ""
    """Pre-filled on the enrollment screen (the person can change it)."""
    device_name: str = ""
    enroll_hint: str | None = None
    keep_closed_days: float | None = DEFAULT_KEEP_CLOSED_DAYS
    """How long closed calls stay on the device (``DA_KEEP_CLOSED_DAYS``; "forever": kept)."""

    @classmethod
    def from_env(cls, profile: str = DEFAULT_PROFILE) -> AppConfig:
        return cls(
            data_dir=data_dir_for(profile),
            server_url=os.environ.get("DA_SERVER_URL", ""),
            device_name=os.environ.get("DA_DEVICE_NAME", ""),
            keep_closed_days=keep_closed_days(os.environ.get("DA_KEEP_CLOSED_DAYS", "")),
        )


def keep_closed_days(text: str) -> float | None:
    """The agency's retention period for closed calls on devices, from its setting."""
    text = text.strip().lower()
    if not text:
        return DEFAULT_KEEP_CLOSED_DAYS
    if text == "forever":
        return None
    try:
        days = float(text)
    except ValueError:
        days = -1.0
    if not days >= 0:  # NaN too
        raise ValueError(
            f"DA_KEEP_CLOSED_DAYS must be a number of days (0 or more) or 'forever', not {text!r}"
        )
    return days


def data_dir_for(profile: str) -> Path:
    if explicit := os.environ.get("DA_APP_DATA"):
        return Path(explicit)
    if private := os.environ.get("FLET_APP_STORAGE_DATA"):
        return Path(private) / "dispatch-anywhere"
    return Path("var") / "app" / profile


def services_for(config: AppConfig) -> AppServices:
    access = DeviceAccess(
        DeviceSettings(data_dir=config.data_dir, keep_closed_days=config.keep_closed_days)
    )
    return AppServices(
        access=access,
        enroll_with=EnrollForm(server_url=config.server_url, device_name=config.device_name),
        enroll_hint=config.enroll_hint,
    )


def app_for(config: AppConfig) -> Callable[[ft.Page], None]:
    """The per-session ``main`` over one shared device."""
    services = services_for(config)

    def session(page: ft.Page) -> None:
        build_app(page, services)

    return session


def serve_web(config: AppConfig, *, port: int, host: str = "127.0.0.1") -> None:
    """Serve the app to browsers until Ctrl-C / SIGTERM; nothing is fetched from a CDN."""
    os.environ["FLET_FORCE_WEB_SERVER"] = "1"  # we decide whether a browser opens, not Flet
    ft.run(app_for(config), view=ft.AppView.WEB_BROWSER, host=host, port=port, no_cdn=True)


@functools.cache
def _packaged() -> Callable[[ft.Page], None]:
    return app_for(AppConfig.from_env())


def main(page: ft.Page) -> None:
    """Entry point of a packaged build: the device's data in the app's private storage."""
    _packaged()(page)


if __name__ == "__main__":
    ft.run(main)
