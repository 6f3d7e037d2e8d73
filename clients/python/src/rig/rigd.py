"""Finding or starting rigd, the same way in every SDK (SPEC §10): RIG_SERVER names an
address; otherwise the version-specific addr file in RIG_DIR is read and probed; when
nothing answers, the version's start lock is taken (so parallel test processes, in any
language, start one rigd, not many), the addr file re-checked, and rigd spawned
detached and waited for."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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
    and ``--addr-file`` are appended); default: the rigd entry $RIG_RIGD (a .js, .mjs or
    .cjs script runs with node), else ``<repo>/server/dist/main.js`` with ``repo``
    defaulting to $RIG_REPO, else the first directory holding server/dist/main.js above
    this file or the working directory."""
    server = os.environ.get("RIG_SERVER", "")
    if server:
        if not probe(server):
            raise RigdError(f"rig: RIG_SERVER={server} does not answer its health check")
        return Rigd(server)
    directory = Path(rig_dir or os.environ.get("RIG_DIR") or Path.home() / ".rig").resolve()
    if command:
        argv, version, problem = command, RIGD_VERSION, ""
    else:
        argv, version, problem = _rigd_command(repo)
    addr_file = directory / f"rigd-{version}.addr"
    addr = _live_addr(addr_file)
    if addr:
        return Rigd(addr)
    if problem:
        raise RigdError(problem)
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + start_timeout
    try:
        with StartLock(directory / f"rigd-{version}.lock", deadline):
            # Another process may have started rigd while we waited for the lock.
            addr = _live_addr(addr_file)
            if addr:
                return Rigd(addr)
            return _spawn(argv, directory, addr_file, directory / f"rigd-{version}.out", deadline)
    except LockTimeout as err:
        raise RigdError(str(err)) from err


def probe(addr: str, timeout: float = 2.0) -> bool:
    """Whether rigd at ``addr`` answers grpc.health.v1.Health/Check with SERVING."""
    try:
        with grpc.insecure_channel(addr) as channel:
            check: grpc.UnaryUnaryMultiCallable[None, bytes] = channel.unary_unary(
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


def _rigd_command(repo: str | None) -> tuple[list[str], str, str]:
    """The command that starts rigd, its version, and what is missing when there is none."""
    root = repo or os.environ.get("RIG_REPO") or _find_repo()
    entry = os.environ.get("RIG_RIGD", "") or (str(Path(root) / "server" / "dist" / "main.js") if root else "")
    if not entry:
        return [], RIGD_VERSION, (
            "rig: cannot start rigd: set RIG_SERVER (a running rigd), RIG_RIGD (its entry, "
            "e.g. server/dist/main.js) or RIG_REPO (a rig checkout)"
        )
    path = Path(entry).resolve()
    if not path.is_file():
        return [], RIGD_VERSION, f"rig: cannot start rigd: {path} is missing (build it with `make build`)"
    version = _version_near(path)
    if path.suffix not in _SCRIPTS:
        return [str(path)], version, ""
    node = Path(root) / ".tools" / "node" / "bin" / "node" if root else None
    return [str(node) if node and node.exists() else "node", str(path)], version, ""


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
    env = {k: v for k, v in os.environ.items() if k != "RIG_SERVER"}
    with open(out_path, "ab") as out:
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
        addr = _live_addr(addr_file)
        if addr:
            return Rigd(addr, proc.pid)
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
