"""Admin console: ``python -m sync_server init|create-user|list-users|list-devices|enroll|revoke|
unlock|set-role|disable-user|reset-password|mfa-setup|serve|peer-sync|report|backup``.

Configuration comes from the ``DA_*`` environment (see ``settings.py``); ``--database-url``
overrides ``DA_DATABASE_URL``.  Passwords are read from ``--password-stdin``, from
``DA_NEW_PASSWORD``, or asked for twice on the terminal, never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from shared.api import NewUser, Role
from shared.commands import new_id
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from shared.reports import plot_processing
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.keys import create_key_file
from sync_server.listing import devices_table, users_table
from sync_server.peers.cli import peer_sync
from sync_server.service import admin, reports
from sync_server.settings import Settings, SettingsError
from sync_server.store import audit
from sync_server.store.backup import BackupRefused, backup_sqlite
from sync_server.store.db import Database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sync_server", description=__doc__)
    parser.add_argument("--database-url", help="overrides DA_DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the key file (unless DA_SECRET_KEY) and tables")
    backup = commands.add_parser(
        "backup", help="a consistent copy of the SQLite database, while the server runs"
    )
    backup.add_argument("destination", help="a new file, e.g. /backups/dispatch-2026-12-03.db")
    user = commands.add_parser("create-user", help="add a user")
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--display-name", default="")
    user.add_argument("--password-stdin", action="store_true", help="read the password line")
    enroll = commands.add_parser("enroll", help="enroll a device for a user; prints its id")
    enroll.add_argument("username")
    enroll.add_argument("--name", required=True, help="device name, e.g. 'Tablet 3'")
    revoke = commands.add_parser("revoke", help="revoke a device (it will be told to wipe)")
    revoke.add_argument("device_id")
    commands.add_parser("list-users", help="accounts: role, authenticator, disabled, locked")
    commands.add_parser("list-devices", help="devices with their ids (for revoke) and last contact")
    unlock = commands.add_parser("unlock", help="lift a logon lockout")
    unlock.add_argument("username")
    role = commands.add_parser("set-role", help="give a user another role")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=[r.value for r in Role])
    disable = commands.add_parser(
        "disable-user", help="withdraw an account for good (no sign-in or sync at any site)"
    )
    disable.add_argument("username")
    reset = commands.add_parser(
        "reset-password", help="a new password for a user; their sessions end everywhere"
    )
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password line")
    mfa = commands.add_parser(
        "mfa-setup",
        help="give a user a new authenticator app (a one-time code at every sign-in)",
    )
    mfa.add_argument("username")
    peer = commands.add_parser("peer-sync", help="pull once from every peer (DA_PEERS)")
    peer.add_argument("--from-start", action="store_true", help="re-read peers' logs from 0")
    report = commands.add_parser(
        "report",
        help="NFPA 1225 processing and response intervals for incidents received in a window",
    )
    report.add_argument("--from", dest="start", required=True, help="e.g. 2026-11-01T00:00")
    report.add_argument("--to", dest="end", required=True, help="end, excluded")
    report.add_argument("--tz", help="time zone of --from/--to, e.g. America/Los_Angeles (UTC)")
    report.add_argument("--plot", help="also write the processing-time plot to this PNG")
    report.add_argument("--by-type", action="store_true", help="processing per incident type")
    serve = commands.add_parser("serve", help="run the server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--fd", type=int, help="serve on an inherited, already bound socket")
    serve.add_argument("--log-level", default="info")
    return parser


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("DA_NEW_PASSWORD"):
        return os.environ["DA_NEW_PASSWORD"]
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise Refused(ErrorCode.INVALID, "the passwords differ")
    return first


def _init(settings: Settings) -> None:
    if settings.secret_key is None and create_key_file(settings.key_file):
        print(f"created key file {settings.key_file} (back it up: without it the data is lost)")
    ctx = Context.open(settings)
    try:
        ctx.prepare()
        audit.record_now(
            ctx.db,
            component="cli",
            event_type="server.init",
            outcome=AuditOutcome.SUCCESS,
            now_ms=ctx.now_ms(),
            detail="database initialised",
        )
    finally:
        ctx.close()
    print(f"database ready at {Database(settings.database_url).url}")


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from sync_server.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=3,
    )
    # An inherited socket (systemd socket activation, tests) is already bound and listening,
    # so clients connecting during start-up wait instead of being refused.
    sockets = [socket.socket(fileno=args.fd)] if args.fd is not None else None
    uvicorn.Server(config).run(sockets=sockets)


def _report(settings: Settings, args: argparse.Namespace) -> int:
    try:
        window = reports.parse_range(args.start, args.end, args.tz)
    except reports.BadRange as bad:
        print(f"report: {bad}", file=sys.stderr)
        return 2
    ctx = Context.open(settings)
    try:
        ctx.prepare()
        made = reports.nfpa1225(ctx, window, by_type=args.by_type, requested_by=_console_user())
    except reports.EmptyWindow as empty:
        print(f"report: {empty}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    print(made.render())
    if args.plot:
        try:
            path = plot_processing(made.processing, args.plot)
        except OSError as failed:
            print(f"report: cannot write the plot: {failed}", file=sys.stderr)
            return 1
        print(f"\nplot written to {path}")
    return 0


def _backup(settings: Settings, destination: Path) -> int:
    ctx = Context.open(settings)
    try:
        ctx.prepare()  # the key must open this data: a backup of unreadable rows helps no one
        try:
            made = backup_sqlite(ctx.db, destination)
        except BackupRefused as refused:
            print(f"backup: {refused}", file=sys.stderr)
            return 1
        audit.record_now(
            ctx.db,
            component="cli",
            event_type="server.backup",
            outcome=AuditOutcome.SUCCESS,
            now_ms=ctx.now_ms(),
            user_id=_console_user(),
            detail=f"copied to {made.path} up to change {made.latest_change}",
        )
    finally:
        ctx.close()
    print(
        f"backed up to {made.path} ({made.size_bytes / 1e6:.1f} MB, up to change "
        f"{made.latest_change}); it opens only with this server's key: keep the key safe, "
        "and apart from the copy"
    )
    return 0


def _console_user() -> str:
    """Who ran the command, as the operating system knows them (for the audit log)."""
    try:
        return f"console user {getpass.getuser()}"
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "console user (unknown)"


def _admin_command(settings: Settings, args: argparse.Namespace) -> None:
    ctx = Context.open(settings)
    try:
        ctx.prepare()
        if args.command == "create-user":
            new = NewUser(
                username=args.username,
                password=_password(args),
                role=Role(args.role),
                display_name=args.display_name,
            )
            made = admin.create_user(ctx, new, by=None, device_id=None, component="cli")
            print(f"created {made.username} ({made.role.value})")
        elif args.command == "enroll":
            device = admin.enroll_device(ctx, args.username, args.name, device_id=new_id("dev"))
            print(device.device_id)
        elif args.command == "revoke":
            device = admin.revoke_device(
                ctx, args.device_id, by=None, by_device=None, component="cli"
            )
            print(f"revoked {device.device_id}")
        elif args.command == "list-users":
            print(users_table(admin.list_users(ctx)))
        elif args.command == "list-devices":
            print(devices_table(admin.list_devices(ctx)))
        elif args.command == "unlock":
            user = admin.unlock_user(ctx, args.username, by=None, device_id=None, component="cli")
            print(f"unlocked {user.username}")
        elif args.command == "set-role":
            user = admin.set_role(
                ctx,
                args.username,
                Role(args.role),
                by=_console_user(),
                device_id=None,
                component="cli",
            )
            print(f"{user.username} is now {user.role.value}")
        elif args.command == "disable-user":
            user = admin.disable_user(
                ctx, args.username, by=_console_user(), device_id=None, component="cli"
            )
            print(f"disabled {user.username}")
        elif args.command == "reset-password":
            user = admin.reset_password(
                ctx,
                args.username,
                _password(args),
                by=_console_user(),
                device_id=None,
                component="cli",
            )
            print(f"new password for {user.username}; their devices will ask for it")
        elif args.command == "mfa-setup":
            setup = admin.set_up_authenticator(
                ctx, args.username, by=_console_user(), device_id=None, component="cli"
            )
            print(
                f"Authenticator for {setup.username}: add it in the authenticator app with this "
                f"link (as a QR code) or type the key.\n  link: {setup.uri}\n  key:  {setup.key}"
                "\nFrom now on every sign-in of this account asks for the app's 6-digit code;"
                " its open sessions have ended, so its devices ask for password and code now."
            )
    finally:
        ctx.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.database_url:
            settings = settings.with_(database_url=args.database_url)
        if args.command == "init":
            _init(settings)
        elif args.command == "serve":
            _serve(settings, args)
        elif args.command == "report":
            return _report(settings, args)
        elif args.command == "backup":
            return _backup(settings, Path(args.destination))
        elif args.command == "peer-sync":
            return peer_sync(settings, from_start=args.from_start)
        else:
            _admin_command(settings, args)
    except SettingsError as bad:
        print(f"configuration error: {bad}", file=sys.stderr)
        return 2
    except Refused as refused:
        print(f"refused: {refused.detail}", file=sys.stderr)
        return 1
    except ValidationError as invalid:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in invalid.errors())
        print(f"invalid: {reasons}", file=sys.stderr)
        return 1
    return 0
