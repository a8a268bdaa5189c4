"""The app as a separate process, exactly as a person starts it: ``python -m mobile_app``
in web mode (no CDN), one process per device, each with its own data directory."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mobile_app.demo import end_process
from sync_server.testing import child_env, free_port

_STARTUP_S = 60.0


@dataclass
class AppProcess:
    """One device: ``url`` serves its app; its encrypted store lives in ``data_dir``."""

    name: str
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        end_process(self.process)

    def __enter__(self) -> AppProcess:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_app(workdir: Path, name: str, *, server_url: str) -> AppProcess:
    """Start ``python -m mobile_app`` for device ``name`` against ``server_url`` (pre-filled on
    its enrollment screen) and return once it answers HTTP."""
    port = free_port()
    data_dir = workdir / name
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"app-{name}.log"
    command = [
        sys.executable,
        "-m",
        "mobile_app",
        "--no-browser",
        "--port",
        str(port),
        "--server-url",
        server_url,
        "--profile",
        name,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=child_env({"DA_APP_DATA": str(data_dir)}),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    app = AppProcess(name, f"http://127.0.0.1:{port}/", data_dir, process, log_path)
    try:
        _wait_until_up(app)
    except BaseException:
        app.stop()
        raise
    return app


def _wait_until_up(app: AppProcess) -> None:
    deadline = time.monotonic() + _STARTUP_S
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"the app {app.name} exited at start-up:\n{app.log()}")
        try:
            with urllib.request.urlopen(app.url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the app {app.name} did not answer within {_STARTUP_S} s:\n{app.log()}")
