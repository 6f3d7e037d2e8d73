"""Finding or starting rigd, the same way in every SDK (SPEC §10): RIG_SERVER names an
address; otherwise the version-specific addr file in RIG_DIR is read and probed; when
nothing answers, the version's start lock is taken (so parallel test processes, in any
language, start one rigd, not many), the addr file re-checked, and rigd spawned
detached and waited for. Every call but the health check carries rigd's token, read from
the ``rigd-<version>.token`` file rigd writes (``0600``) beside its addr file before the
addr file, or from RIG_TOKEN when RIG_SERVER names the rigd."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

import grpc

from rig.start_lock import LockTimeout, StartLock

#: The rigd version this SDK was written for. The addr and lock files are named after
#: the version of the rigd to start (read from the package.json beside its entry), so
#: rigd versions coexist; this is the fallback when no entry is known.
RIGD_VERSION = "0.1.0"

_HEALTH_CHECK = "/grpc.health.v1.Health/Check"
#: HealthCheckResponse{status: SERVING}: field 1, varint 1.
_SERVING = b"\x08\x01"
_SCRIPTS = (".js", ".mjs", ".cjs")
# Node flags rigd runs with (server/src/rigd/node-flags.ts says why; the TS and Go SDKs
# and rigd's own shebang give the same): V8 can size its young generation only at start.
RIGD_NODE_FLAGS = ("--max-semi-space-size=32", "--min-semi-space-size=32")


class RigdError(RuntimeError):
    """rigd could not be found or started."""


@dataclass(frozen=True)
class Rigd:
    """A rigd that answered its health check."""

    #: ``127.0.0.1:PORT`` or ``unix:/path/rigd.sock``.
    addr: str
    #: Sent on every call as ``authorization: Bearer <token>``.
    token: str = ""
    #: Process id when this call spawned it, else 0.
    pid: int = 0


def rigd_channel(rigd: Rigd) -> grpc.Channel:
    """A channel to ``rigd`` that sends its token on every call (close it when done)."""
    return grpc.intercept_channel(_insecure_channel(rigd.addr), _Bearer(rigd.token))


def _insecure_channel(addr: str) -> grpc.Channel:
    """A cleartext channel; over a unix socket it names ``localhost`` as its authority
    (grpc would send the percent-encoded socket path)."""
    options = [("grpc.default_authority", "localhost")] if addr.startswith("unix:") else []
    return grpc.insecure_channel(addr, options=options)


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: Any
    compression: Any


class _Bearer(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <token>`` to the metadata of every call, and
    ``rig-client`` naming this test process (rigd's limit of environments per client
    counts by it)."""

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")
        self._client = ("rig-client", f"python pid {os.getpid()}")

    def _details(self, details: Any) -> _CallDetails:
        metadata = [*(details.metadata or ()), self._header, self._client]
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def token_file_for(addr_file: Path) -> Path:
    """The token file beside an addr file (``rigd-0.1.0.addr`` -> ``rigd-0.1.0.token``)."""
    name = addr_file.name
    return addr_file.with_name(name[: -len(".addr")] + ".token" if name.endswith(".addr") else name + ".token")


def explicit_rigd(addr: str, token: str = "", source: str = "the server argument", rig_dir: str | None = None) -> Rigd:
    """The rigd at ``addr`` with its token: ``token``, else RIG_TOKEN, else RIG_DIR's token
    file when RIG_DIR's addr file names ``addr``."""
    token = token or os.environ.get("RIG_TOKEN", "")
    if not token:
        directory = Path(rig_dir or os.environ.get("RIG_DIR") or Path.home() / ".rig").resolve()
        addr_file = directory / f"rigd-{_rigd_command(None)[1]}.addr"
        try:
            if addr_file.read_text().strip() == addr:
                token = token_file_for(addr_file).read_text().strip()
        except OSError:
            pass
    if not token:
        raise RigdError(
            f"rig: no token for the rigd at {addr} (from {source}): set RIG_TOKEN to the content of "
            "the rigd-<version>.token file beside its addr file"
        )
    if not probe(addr):
        raise RigdError(f"rig: the rigd at {addr} (from {source}) does not answer its health check")
    return Rigd(addr, token)


def find_or_start_rigd(
    rig_dir: str | None = None,
    command: list[str] | None = None,
    repo: str | None = None,
    start_timeout: float = 30.0,
) -> Rigd:
    """Returns a serving rigd, starting one when none answers.

    ``rig_dir`` defaults to $RIG_DIR, else ~/.rig. ``command`` starts rigd (``--rig-dir``
    and ``--addr-file`` are appended); default, the first of: $RIG_RIGD (an executable, or
    a .js, .mjs or .cjs entry run with node); ``rigd`` on PATH; the checkout's
    server/dist/main.js, else its build/rigd, the checkout being ``repo``, else
    $RIG_REPO, else the first directory holding server/dist/main.js above this file or
    the working directory (an explicit ``repo`` skips the PATH lookup)."""
    server = os.environ.get("RIG_SERVER", "")
    if server:
        return explicit_rigd(server, source=f"RIG_SERVER={server}", rig_dir=rig_dir)
    directory = Path(rig_dir or os.environ.get("RIG_DIR") or Path.home() / ".rig").resolve()
    if command:
        argv, version, problem = command, RIGD_VERSION, ""
    else:
        argv, version, problem = _rigd_command(repo)
    addr_file = directory / f"rigd-{version}.addr"
    live = _live_rigd(addr_file)
    if live:
        return live
    if problem:
        raise RigdError(problem)
    # rigd tightens RIG_DIR to 0700 itself; create it private so nothing is ever exposed.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    deadline = time.monotonic() + start_timeout
    try:
        with StartLock(directory / f"rigd-{version}.lock", deadline):
            # Another process may have started rigd while we waited for the lock.
            live = _live_rigd(addr_file)
            if live:
                return live
            return _spawn(argv, directory, addr_file, directory / f"rigd-{version}.out", deadline)
    except LockTimeout as err:
        raise RigdError(str(err)) from err


def probe(addr: str, timeout: float = 2.0) -> bool:
    """Whether rigd at ``addr`` answers grpc.health.v1.Health/Check with SERVING."""
    try:
        with _insecure_channel(addr) as channel:
            check: grpc.UnaryUnaryMultiCallable[None, bytes] = channel.unary_unary(
                _HEALTH_CHECK,
                request_serializer=lambda _: b"",  # HealthCheckRequest{} encodes to nothing
                response_deserializer=lambda data: data,
            )
            return bool(check(None, timeout=timeout) == _SERVING)
    except grpc.RpcError:
        return False


def _live_rigd(addr_file: Path) -> Rigd | None:
    """The rigd the addr file names, with the token beside it, if it answers."""
    try:
        addr = addr_file.read_text().strip()
        token = token_file_for(addr_file).read_text().strip()
    except OSError:
        return None
    return Rigd(addr, token) if addr and token and probe(addr) else None


def _rigd_command(repo: str | None) -> tuple[list[str], str, str]:
    """The command that starts rigd, its version, and what is missing when there is none.

    The order: $RIG_RIGD, then ``rigd`` on PATH, then a rigd in the checkout (``repo`` or
    $RIG_REPO, else the one this file or the working directory is in): its
    server/dist/main.js, else its build/rigd (``make rigd-binary``). An explicit ``repo``
    skips the PATH lookup."""
    root = repo or os.environ.get("RIG_REPO") or ""
    entry = os.environ.get("RIG_RIGD", "")
    if not entry and not repo:
        on_path = shutil.which("rigd")
        entry = os.path.realpath(on_path) if on_path else ""
    if not entry:
        root = root or _find_repo()
        entry = _checkout_rigd(Path(root)) if root else ""
    if not entry:
        return [], RIGD_VERSION, (
            "rig: cannot find rigd: looked for $RIG_RIGD (unset), rigd on PATH (none), and a rig "
            "checkout above this SDK or the working directory (none); set RIG_RIGD (a rigd "
            "executable or server/dist/main.js), put rigd on PATH (make rigd-binary, or npm "
            "install -g @rig/server), set RIG_REPO (a rig checkout), or RIG_SERVER (a running rigd)"
        )
    path = Path(entry).resolve()
    if not path.is_file():
        return [], RIGD_VERSION, f"rig: cannot start rigd: {path} is missing (build it with `make build`)"
    version = _version_near(path)
    if path.suffix not in _SCRIPTS:
        return [str(path)], version, ""
    node = Path(root) / ".tools" / "node" / "bin" / "node" if root else None
    return [str(node) if node and node.exists() else "node", *RIGD_NODE_FLAGS, str(path)], version, ""


def _checkout_rigd(root: Path) -> str:
    """server/dist/main.js of a checkout (make build), else its build/rigd (make rigd-binary)."""
    for candidate in (root / "server" / "dist" / "main.js", root / "build" / "rigd"):
        if candidate.is_file():
            return str(candidate)
    return str(root / "server" / "dist" / "main.js")


def _version_near(entry: Path) -> str:
    """The version of the package holding a rigd entry (dist/main.js -> ../package.json)."""
    try:
        version = json.loads((entry.parent.parent / "package.json").read_text()).get("version")
    except (OSError, ValueError, AttributeError):
        return RIGD_VERSION
    return version if isinstance(version, str) and version else RIGD_VERSION


def _find_repo() -> str:
    for start in (Path(__file__).resolve().parent, Path.cwd()):
        for directory in (start, *start.parents):
            if (directory / "server" / "dist" / "main.js").is_file():
                return str(directory)
    return ""


def _spawn(command: list[str], rig_dir: Path, addr_file: Path, out_path: Path, deadline: float) -> Rigd:
    # A stale file (rigd died without removing it) must not be mistaken for the new one.
    addr_file.unlink(missing_ok=True)
    argv = [*command, "--rig-dir", str(rig_dir), "--addr-file", str(addr_file)]
    # rigd needs neither; a token in its env would reach the services it starts.
    env = {k: v for k, v in os.environ.items() if k not in ("RIG_SERVER", "RIG_TOKEN")}
    with open(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
        try:
            # Its own session and its own output: rigd outlives the test process.
            proc = subprocess.Popen(
                argv, cwd=rig_dir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as err:
            raise RigdError(f"rig: starting rigd ({' '.join(command)}): {err}") from err
    # Reaps rigd if it exits while this process lives; this process never stops it.
    threading.Thread(target=proc.wait, name="rig-rigd-reaper", daemon=True).start()
    while True:
        live = _live_rigd(addr_file)
        if live:
            return Rigd(live.addr, live.token, proc.pid)
        if proc.poll() is not None:
            raise RigdError(f"rig: rigd ({' '.join(command)}) exited before serving; last output ({out_path}):\n{_tail(out_path)}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RigdError(f"rig: rigd ({' '.join(command)}) was not serving in time; last output ({out_path}):\n{_tail(out_path)}")
        time.sleep(0.02)


def _tail(path: Path, lines: int = 10) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        text = ""
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"
