"""A warm `cityops build`: a server with dbt already imported forks one child per build.

A build in a new process spends about 2.5 s importing cityops and dbt before dbt runs a
node: most of a build after one new month. So the first `cityops build` under a
CITYOPS_HOME starts this server in the background, and the next ones hand over to it:
the command sends its arguments, environment and working directory, and its stdin, stdout
and stderr themselves (SCM_RIGHTS), over a Unix socket. The server forks a child that runs
that command with those descriptors: the same output, the same exit code, the build lock
and the write-audit-publish path unchanged. The server itself never opens the warehouse.

It stops after CITYOPS_BUILD_SERVER_IDLE_S seconds without a build (default 900), when its
CITYOPS_HOME is gone, on `cityops warehouse stop`, and when the installation it imported
changed (a command from a newer one is told so and runs itself). CITYOPS_BUILD_SERVER=off:
every build runs in its own process.

The socket is in Linux's abstract namespace (no file to leave behind, no path length
limit), named after CITYOPS_HOME; only the user the server runs as may use it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import socket
import struct
import sys
import time

from cityops.cli.build_handover import address, installed
from cityops.settings import Home

IDLE_S = 900.0
TICK_S = 2.0  # how often an idle server checks it is still wanted
_UCRED = struct.Struct("3i")  # SO_PEERCRED: pid, uid, gid


def _say(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} build server {os.getpid()}: {message}", flush=True)


def _warm_up(home: Home) -> None:
    """What a build imports and compiles, so that a forked child does not."""
    import dbt.adapters.postgres
    import dbt.cli.main
    import dbt.contracts.graph.manifest
    import dbt.task.build  # noqa: F401
    from dbt.mp_context import get_mp_context

    import cityops.cli.main
    import cityops.transform.dbt  # noqa: F401

    get_mp_context().Lock()  # starts multiprocessing's resource tracker once: every child shares it
    _compile_macros(home)

    # dbt's telemetry library calls logging.basicConfig() on import; a command configures
    # logging itself (cli/main.py), as in a new process
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)


def _compile_macros(home: Home) -> None:
    """dbt compiles each macro a build calls (about 0.4 s of a month's build): the macros of
    the project parsed last are compiled here once, and every child finds them compiled."""
    from cityops.transform import manifest_cache

    try:
        manifest = manifest_cache.newest(home)
    except OSError:
        manifest = None
    if manifest is not None:
        _say(f"compiled {manifest_cache.compile_macros(manifest)} dbt macros ahead")


def serve(home: Home) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address(home))
    except OSError:
        return  # another server for this home was quicker
    listener.listen(8)  # commands arriving while it warms up wait here
    mine = installed()
    _say(f"warming up for {home.root}")
    _warm_up(home)
    gc.freeze()  # the imported heap is shared with every child, never copied by a collection
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    idle_limit = float(os.environ.get("CITYOPS_BUILD_SERVER_IDLE_S", IDLE_S))
    listener.settimeout(TICK_S)
    last = time.monotonic()
    _say("ready")
    with listener:
        while True:
            if time.monotonic() - last > idle_limit:
                return _say(f"stopping: no build for {idle_limit:.0f} s")
            if not home.root.is_dir():
                return _say("stopping: CITYOPS_HOME is gone")
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            outcome = _serve_one(listener, conn, mine)
            if outcome == "stop":
                return _say("stopping: asked to, or a newer installation runs the commands")
            if outcome == "served":  # a question (`running`) is not a build
                last = time.monotonic()


def _serve_one(listener: socket.socket, conn: socket.socket, mine: str) -> str:
    with conn:
        conn.settimeout(None)
        _pid, uid, _gid = _UCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
        if uid != os.getuid():
            return "refused"
        message, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
        server = os.getpid()
        try:
            return _fork_command(listener, conn, message, fds, mine)
        finally:
            if os.getpid() == server:  # the server's copies (a child exits through here)
                for fd in fds:
                    os.close(fd)


def _fork_command(listener: socket.socket, conn: socket.socket, message: bytes, fds: list[int], mine: str) -> str:
    try:
        request = json.loads(message)
    except ValueError:
        return "refused"
    if request.get("stop") or request.get("installed") != mine:
        conn.sendall(b"{}\n")
        return "stop"
    if len(fds) != 3:
        return "refused"
    child = os.fork()
    if child == 0:
        listener.close()
        _run_command(conn, request, fds)  # never returns
    _say(f"build {child}: cityops {' '.join(request['argv'])}")
    return "served"


def _run_command(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: become the command that handed over, then exit with its code.

    It exits as a command does (SystemExit, so dbt's multiprocessing locks are released and
    no warning reaches the user's terminal), never back into the server's loop."""
    code = 3
    try:
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the build waits for its own children
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
        sys.argv = ["cityops", *request["argv"]]
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        code = _exit_code(request["argv"])
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
        conn.close()
        raise SystemExit(code)


def _exit_code(argv: list[str]) -> int:
    from cityops.cli.main import main

    try:
        main.main(args=argv, prog_name="cityops")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    serve(Home.from_env())
