"""Finding or starting rigd, the same way in every SDK (SPEC §10): RIG_SERVER names an
address; otherwise the version-specific addr file in RIG_DIR is read and probed; when
nothing answers, an exclusive lock on the version's lock file is taken (so parallel
test processes start one rigd, not many), the addr file re-checked, and rigd spawned
detached and waited for."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

#: The rigd version this SDK speaks to; it names the addr and lock files
#: (RIG_DIR/rigd-<version>.addr, .lock) and follows server/package.json.
RIGD_VERSION = "0.1.0"

_HEALTH_CHECK = "/grpc.health.v1.Health/Check"
#: HealthCheckResponse{status: SERVING}: field 1, varint 1.
_SERVING = b"\x08\x01"


class RigdError(RuntimeError):
    """rigd could not be found or started."""


@dataclass(frozen=True)
class Rigd:
    """A rigd that answered its health check."""

    #: ``127.0.0.1:PORT``.
    addr: str
    #: Process id when this call spawned it, else 0.
    pid: int = 0


def find_or_start_rigd(
    rig_dir: str | None = None,
    command: list[str] | None = None,
    repo: str | None = None,
    start_timeout: float = 30.0,
) -> Rigd:
    """Returns a serving rigd, starting one when none answers.

    ``rig_dir`` defaults to $RIG_DIR, else ~/.rig. ``command`` starts rigd (``--rig-dir``
    and ``--addr-file`` are appended); default $RIG_RIGD split on whitespace, else
    ``node <repo>/server/dist/main.js`` with ``repo`` defaulting to $RIG_REPO, else the
    first directory holding server/dist/main.js above this file or the working directory.
    """
    server = os.environ.get("RIG_SERVER", "")
    if server:
        if not probe(server):
            raise RigdError(f"rig: RIG_SERVER={server} does not answer its health check")
        return Rigd(server)
    directory = Path(rig_dir or os.environ.get("RIG_DIR") or Path.home() / ".rig").resolve()
    addr_file = directory / f"rigd-{RIGD_VERSION}.addr"
    addr = _live_addr(addr_file)
    if addr:
        return Rigd(addr)
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + start_timeout
    with _exclusive_lock(directory / f"rigd-{RIGD_VERSION}.lock", deadline):
        # Another process may have started rigd while we waited for the lock.
        addr = _live_addr(addr_file)
        if addr:
            return Rigd(addr)
        return _spawn(command or _default_command(repo), directory, addr_file, deadline)


def probe(addr: str, timeout: float = 2.0) -> bool:
    """Whether rigd at ``addr`` answers grpc.health.v1.Health/Check with SERVING."""
    try:
        with grpc.insecure_channel(addr) as channel:
            check = channel.unary_unary(
                _HEALTH_CHECK,
                request_serializer=lambda _: b"",  # HealthCheckRequest{} encodes to nothing
                response_deserializer=lambda data: data,
            )
            return bool(check(None, timeout=timeout) == _SERVING)
    except grpc.RpcError:
        return False


def _live_addr(addr_file: Path) -> str:
    try:
        addr = addr_file.read_text().strip()
    except OSError:
        return ""
    return addr if addr and probe(addr) else ""


class _exclusive_lock:
    """An exclusive flock, polled so the wait has a deadline. The kernel drops it
    with the process, so a test process that dies never leaves it held."""

    def __init__(self, path: Path, deadline: float) -> None:
        self._path = path
        self._deadline = deadline
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > self._deadline:
                    os.close(self._fd)
                    raise RigdError(f"rig: timed out waiting for the rigd start lock {self._path}") from None
                time.sleep(0.02)

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def _default_command(repo: str | None) -> list[str]:
    from_env = os.environ.get("RIG_RIGD", "").split()
    if from_env:
        return from_env
    root = repo or os.environ.get("RIG_REPO") or _find_repo()
    if not root:
        raise RigdError(
            "rig: cannot start rigd: set RIG_SERVER (a running rigd), RIG_RIGD (the command "
            "to start one) or RIG_REPO (a rig checkout with server/dist/main.js)"
        )
    main = Path(root) / "server" / "dist" / "main.js"
    if not main.is_file():
        raise RigdError(f"rig: cannot start rigd: {main} is missing (build it with `make build`)")
    node = Path(root) / ".tools" / "node" / "bin" / "node"
    return [str(node) if node.exists() else "node", str(main)]


def _find_repo() -> str:
    for start in (Path(__file__).resolve().parent, Path.cwd()):
        for directory in (start, *start.parents):
            if (directory / "server" / "dist" / "main.js").is_file():
                return str(directory)
    return ""


def _spawn(command: list[str], rig_dir: Path, addr_file: Path, deadline: float) -> Rigd:
    # A stale file (rigd died without removing it) must not be mistaken for the new one.
    addr_file.unlink(missing_ok=True)
    out_path = rig_dir / f"rigd-{RIGD_VERSION}.out"
    argv = [*command, "--rig-dir", str(rig_dir), "--addr-file", str(addr_file)]
    with open(out_path, "wb") as out:
        try:
            # Its own session and no inherited output: rigd outlives the test process.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as err:
            raise RigdError(f"rig: starting rigd ({' '.join(command)}): {err}") from err
    while True:
        addr = _live_addr(addr_file)
        if addr:
            return Rigd(addr, proc.pid)
        if proc.poll() is not None:
            raise RigdError(f"rig: rigd ({' '.join(command)}) exited before serving: {_tail(out_path)}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RigdError(f"rig: rigd ({' '.join(command)}) did not write {addr_file} in time: {_tail(out_path)}")
        time.sleep(0.025)


def _tail(path: Path, lines: int = 10) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        text = ""
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"
