"""rigd is found or started once, whoever asks first (SPEC §10)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.rigd import RIGD_VERSION, Rigd, RigdError, _find_repo, _rigd_command, find_or_start_rigd
from rig.start_lock import LockTimeout, StartLock

from rigd_process import stop_rigd


@pytest.fixture
def rig_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty RIG_DIR with no RIG_SERVER override; stops any rigd started in it."""
    if not _find_repo():
        pytest.skip("no rig checkout with server/dist/main.js (make build)")
    monkeypatch.delenv("RIG_SERVER", raising=False)
    monkeypatch.delenv("RIG_RIGD", raising=False)
    yield tmp_path


def test_parallel_callers_start_one_rigd(rig_dir: Path) -> None:
    results: list[Rigd] = []
    errors: list[BaseException] = []

    def find() -> None:
        try:
            results.append(find_or_start_rigd(rig_dir=str(rig_dir)))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=find) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spawned = [r.pid for r in results if r.pid]
    try:
        assert not errors
        assert len(spawned) == 1, f"{len(spawned)} rigds spawned, want 1"
        assert len({r.addr for r in results}) == 1
        assert (rig_dir / f"rigd-{RIGD_VERSION}.addr").read_text().strip() == results[0].addr
        again = find_or_start_rigd(rig_dir=str(rig_dir))
        assert again == Rigd(results[0].addr, results[0].token), "a second lookup reuses the running rigd"
        assert again.token == (rig_dir / f"rigd-{RIGD_VERSION}.token").read_text().strip()
    finally:
        for pid in spawned:
            stop_rigd(pid)


def test_a_stale_addr_file_is_replaced(rig_dir: Path) -> None:
    (rig_dir / f"rigd-{RIGD_VERSION}.addr").write_text("127.0.0.1:1\n")
    rigd = find_or_start_rigd(rig_dir=str(rig_dir))
    try:
        assert rigd.pid and rigd.addr != "127.0.0.1:1"
    finally:
        stop_rigd(rigd.pid)


def test_a_rigd_that_cannot_start_is_reported_with_its_output(rig_dir: Path) -> None:
    with pytest.raises(RigdError, match="rigd: cannot bind"):
        find_or_start_rigd(rig_dir=str(rig_dir), command=["sh", "-c", "echo 'rigd: cannot bind' >&2; exit 3", "sh"])


def test_rig_server_must_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIG_SERVER", "127.0.0.1:1")
    monkeypatch.setenv("RIG_TOKEN", "some-token")
    with pytest.raises(RigdError, match="RIG_SERVER=127.0.0.1:1"):
        find_or_start_rigd()
    monkeypatch.delenv("RIG_TOKEN")
    with pytest.raises(RigdError, match="no token for the rigd at 127.0.0.1:1"):
        find_or_start_rigd()


def test_the_start_lock_excludes_others_and_takes_over_a_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "rigd.lock"
    with StartLock(path, time.monotonic() + 1):
        with pytest.raises(LockTimeout):
            with StartLock(path, time.monotonic() + 0.2):
                pass
    assert not path.exists(), "released locks are removed"
    # A lock left by a dead process (not refreshed for longer than STALE).
    path.mkdir()
    old = time.time() - 60
    os.utime(path, (old, old))
    with StartLock(path, time.monotonic() + 2):
        assert path.is_dir()


def test_rig_rigd_names_the_entry_and_its_version(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _find_repo()
    if not repo:
        pytest.skip("no rig checkout")
    entry = str(Path(repo) / "server" / "dist" / "main.js")
    monkeypatch.setenv("RIG_RIGD", entry)
    command, version, problem = _rigd_command(None)
    assert not problem and command[-1] == entry and command[0].endswith("node")
    assert {"--max-semi-space-size=32", "--min-semi-space-size=32"} <= set(command), "rigd runs with its node flags (server/src/rigd/node-flags.ts)"
    assert json.loads((Path(repo) / "server" / "package.json").read_text())["version"] == version
    assert version == RIGD_VERSION, "keep RIGD_VERSION in step with server/package.json"


def test_rigd_is_found_as_rig_rigd_then_path_then_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The order the error message names: $RIG_RIGD, rigd on PATH, the checkout."""
    explicit = tmp_path / "explicit" / "my-rigd"
    on_path = tmp_path / "bin" / "rigd"
    for fake in (explicit, on_path):
        fake.parent.mkdir()
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
    monkeypatch.delenv("RIG_REPO", raising=False)
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setenv("RIG_RIGD", str(explicit))
    assert _rigd_command(None)[0] == [str(explicit)]
    monkeypatch.delenv("RIG_RIGD")
    command, version, problem = _rigd_command(None)
    assert (command, version, problem) == ([str(on_path)], RIGD_VERSION, "")
    repo = _find_repo()
    if repo:
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
        command, _, problem = _rigd_command(None)
        assert problem == "" and command[-1] == str(Path(repo) / "server" / "dist" / "main.js")
