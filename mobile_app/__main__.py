"""``python -m mobile_app``: the app in a browser, with a demo agency's sync server beside it.

    python -m mobile_app                      # demo server (./var/demo) + this device
    python -m mobile_app --profile tablet-2 --port 8551 --server-url http://127.0.0.1:8000
                                              # a second device, against the running server
    python -m mobile_app --no-server          # just the app (enter any server address)

Ctrl-C stops the app and the server it started.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from mobile_app import demo
from mobile_app.main import DEFAULT_PROFILE, AppConfig, data_dir_for, serve_web

HOST = "127.0.0.1"
DEMO_DIR = Path("var") / "demo"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mobile_app",
        description="Dispatch Anywhere in a browser, with a demo sync server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--port", type=int, default=8550, help="the app's port (default 8550)")
    parser.add_argument(
        "--server-port", type=int, default=8000, help="the demo server's port (default 8000)"
    )
    parser.add_argument(
        "--server-url",
        help="use this running sync server instead of starting one (pre-filled at enrollment)",
    )
    parser.add_argument("--no-server", action="store_true", help="start no server; the app alone")
    parser.add_argument(
        "--profile",
        default=DEFAULT_PROFILE,
        help="which device this is: its data lives in ./var/app/PROFILE (or $DA_APP_DATA)",
    )
    browser = parser.add_mutually_exclusive_group()
    browser.add_argument("--open", action="store_true", help="open a browser on the app")
    browser.add_argument(
        "--no-browser",
        action="store_true",
        help="never open a browser (default: open one when this machine has a display)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not _free(args.port):
        print(f"port {args.port} is in use: choose another with --port", file=sys.stderr)
        return 2
    password = os.environ.get("DA_DEMO_PASSWORD", demo.DEFAULT_PASSWORD)
    server: demo.DemoServer | None = None
    config = AppConfig(
        data_dir=data_dir_for(args.profile),
        server_url=args.server_url or "",
        device_name=f"Demo {args.profile}",
    )
    try:
        if args.server_url is None and not args.no_server:
            server = _start_demo(args.server_port, password)
            config = AppConfig(
                data_dir=config.data_dir,
                server_url=server.url,
                device_name=config.device_name,
                enroll_hint=(
                    "Demo accounts: dana (dispatcher), sam (supervisor), ivan (IT admin). "
                    f"Password: {password}"
                ),
            )
        url = f"http://{HOST}:{args.port}/"
        print(f"  This device   {config.data_dir}  (profile {args.profile!r})")
        if server is not None:
            print(
                "  Another one   python -m mobile_app --profile tablet-2 --port "
                f"{args.port + 1} --server-url {server.url}"
            )
        print(f"  App           {url}   (Ctrl-C stops everything)", flush=True)
        _announce_when_up(url, open_browser=args.open or (_has_display() and not args.no_browser))
        serve_web(config, port=args.port, host=HOST)
    except demo.DemoError as failed:
        print(f"demo: {failed}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
    return 0


def _start_demo(port: int, password: str) -> demo.DemoServer:
    print("Dispatch Anywhere demo")
    demo.prepare(DEMO_DIR, password)
    server = demo.start(DEMO_DIR, port, host=HOST)
    try:
        if asyncio.run(demo.ensure_units(DEMO_DIR, server, password)):
            print(f"  Demo fleet    {len(demo.DEMO_UNITS)} units pushed by a set-up device")
    except BaseException:
        server.stop()
        raise
    print(f"  Sync server   {server.url}  (data and log in {DEMO_DIR}/)")
    users = ", ".join(f"{name} ({role.value})" for name, role in demo.DEMO_USERS)
    print(f"  Accounts      {users}; password: {password}")
    return server


def _free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _announce_when_up(url: str, *, open_browser: bool) -> None:
    """Say when the app answers (and open a browser then, if asked): Flet prints nothing."""

    def wait() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            return
        print(f"  Ready         {url}", flush=True)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=wait, name="announce", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
