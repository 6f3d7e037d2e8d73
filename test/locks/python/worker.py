"""The Python side of the three-language lock proof (test/locks/README.md): waits for the
start signal, then takes the locks LOCKS_MODES names on LOCKS_RESOURCE and appends
enter/leave records to LOCKS_DIR/records."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_root = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(_root / "clients/python/src"), str(_root / "clients/python/gen")]

import rig  # noqa: E402


def _append(path: Path, line: str) -> None:
    with open(path, "a") as f:
        f.write(line + "\n")


def main() -> None:
    directory = Path(os.environ["LOCKS_DIR"])
    worker = os.environ["LOCKS_ID"]

    def init() -> None:
        _append(directory / "init", worker)
        time.sleep(0.3)  # everyone else arrives while it runs

    res = rig.resource(os.environ["LOCKS_RESOURCE"], max_parallelism=2, init=init)
    _append(directory / "ready", worker)
    while not (directory / "go").exists():
        time.sleep(0.005)
    for mode in os.environ["LOCKS_MODES"].split(","):
        with res.lock(timeout=120) if mode == "x" else res.rlock(timeout=120):
            _append(directory / "records", f"enter {worker} {mode} {time.time_ns()}")
            time.sleep(0.02)
            _append(directory / "records", f"leave {worker} {mode} {time.time_ns()}")


if __name__ == "__main__":
    main()
