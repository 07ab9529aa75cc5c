"""The command's side of the warm build server (cli/build_server.py): hand a build over.

`cityops build` connects to the server of its CITYOPS_HOME, sends its arguments,
environment, working directory and its stdin/stdout/stderr, and exits with the build's
exit code. No server, or one that refuses (another user, another installation): None, and
the command runs the build itself. Also: start a server, ask whether one runs, stop it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from cityops.settings import Home


def enabled() -> bool:
    return os.environ.get("CITYOPS_BUILD_SERVER", "on").lower() not in {"off", "0", "false", "no"}


def address(home: Home) -> bytes:
    return b"\0cityops-build-" + hashlib.sha256(str(home.root).encode()).hexdigest()[:24].encode()


def installed() -> str:
    """What the server imported: a changed file of cityops, another Python, or packages
    installed or upgraded (their folders come and go in site-packages) make it stale."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(sys.executable.encode())
    site_packages = Path(sysconfig.get_paths()["purelib"])
    with contextlib.suppress(OSError):
        digest.update(str(site_packages.stat().st_mtime_ns).encode())
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()


def _connect(home: Home) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(address(home))
    except OSError:
        sock.close()
        return None
    return sock


def handover(argv: list[str], *, fingerprint: str | None = None) -> int | None:
    """Run `cityops <argv>` in the warm server; its exit code, or None: run it here."""
    if not enabled():
        return None
    home = Home.from_env()
    sock = _connect(home)
    if sock is None:
        return None
    request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "installed": fingerprint or installed()}
    with sock, sock.makefile("rb") as answers:
        try:
            socket.send_fds(sock, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
            started = json.loads(answers.readline() or b"{}")
        except (OSError, ValueError):  # refused, or stopping: nothing ran
            return None
        if "pid" not in started:  # a stale server: it stops, this command runs itself
            return None
        with _forwarding_signals(started["pid"]):
            ended = answers.readline()
    if not ended:
        print(
            "cityops: the build stopped without an exit code (the build server's child died). "
            f"Run `cityops build` again; logs in {home.logs}",
            file=sys.stderr,
        )
        return 3
    return int(json.loads(ended)["exit"])


@contextlib.contextmanager
def _forwarding_signals(pid: int):
    """Ctrl-C (or a TERM) to the command reaches the build it handed over."""

    def forward(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    before = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def start_in_background(home: Home | None = None, wait_s: float = 5.0) -> None:
    """Start a server for this CITYOPS_HOME, unless one runs; return once it listens (it
    warms up after that), so that a `warehouse stop` right after the build finds it."""
    home = home or Home.from_env()
    if not enabled() or running(home):
        return
    home.logs.mkdir(parents=True, exist_ok=True)
    with open(home.logs / "build-server.log", "ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "cityops.cli.build_server"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not stopped by the terminal's Ctrl-C meant for a command
        )
    deadline = time.monotonic() + wait_s
    while not running(home) and time.monotonic() < deadline:
        time.sleep(0.02)


def running(home: Home) -> bool:
    sock = _connect(home)
    if sock is None:
        return False
    sock.close()
    return True


def stop(home: Home, timeout_s: float = 10.0) -> bool:
    """Stop the server (builds under way finish); True if one was running."""
    sock = _connect(home)
    if sock is None:
        return False
    with sock:
        sock.sendall(json.dumps({"stop": True}).encode() + b"\n")
        sock.recv(1)  # it closes the connection as it stops listening
    deadline = time.monotonic() + timeout_s
    while running(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True
