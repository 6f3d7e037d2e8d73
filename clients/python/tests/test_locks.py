"""Resource locks against a real rigd: exclusion, max parallelism, timeouts, init once,
a failed init retried, lock_all in opposite orders, the holder rigd records."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

import rig
from rig.rigd import explicit_rigd, find_or_start_rigd, rigd_channel
from rig.v1 import lock_service_pb2 as pb
from rig.v1 import lock_service_pb2_grpc as pb_grpc
from rigd_process import rigd_pids_in, stop_rigd


def _name(base: str) -> str:
    return f"py-{base}-{uuid.uuid4().hex[:10]}"


def test_exclusive_excludes_everyone_and_shared_respects_max_parallelism(need_rigd: str) -> None:
    name = _name("x")
    inside = 0
    peak = 0
    errors: list[str] = []
    guard = threading.Lock()

    def worker(exclusive: bool) -> None:
        nonlocal inside, peak
        r = rig.resource(name, max_parallelism=2)
        for _ in range(3):
            with r.lock() if exclusive else r.rlock():
                with guard:
                    inside += 1
                    peak = max(peak, inside)
                    if exclusive and inside != 1:
                        errors.append(f"exclusive holder with {inside} inside")
                time.sleep(0.01)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert peak <= 2


def test_timeout_while_waiting_and_release(need_rigd: str) -> None:
    r = rig.resource(_name("t"), max_parallelism=2)
    a = r.rlock()
    b = r.rlock()
    with pytest.raises(TimeoutError):
        r.rlock(timeout=0.3)
    a.release()
    a.release()  # idempotent
    with r.rlock(timeout=5) as c:
        assert c.held and b.held and not a.held
    b.release()
    # Nothing left: an exclusive lock is granted at once.
    with r.lock(timeout=5):
        pass


def test_unlock_releases_every_lock_of_the_process(need_rigd: str) -> None:
    r = rig.resource(_name("u"))
    first = r.rlock()
    second = r.rlock()
    r.unlock()
    assert not first.held and not second.held
    with r.lock(timeout=5):
        pass


def test_init_runs_once_across_declarers(need_rigd: str) -> None:
    name = _name("init")
    runs = 0
    guard = threading.Lock()

    def init() -> None:
        nonlocal runs
        with guard:
            runs += 1
        time.sleep(0.05)

    def worker() -> None:
        with rig.resource(name, max_parallelism=6, init=init).rlock():
            pass

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert runs == 1


def test_failed_init_is_retried_by_the_next_declarer(need_rigd: str) -> None:
    name = _name("fail")

    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(rig.LockError, match="boom"):
        rig.resource(name, init=boom).lock()
    ran: list[bool] = []
    with rig.resource(name, init=lambda: ran.append(True)).lock():
        pass
    assert ran == [True]


def test_lock_all_in_opposite_orders_never_deadlocks(need_rigd: str) -> None:
    a = rig.resource(_name("a"))
    b = rig.resource(_name("b"))
    failures: list[BaseException] = []

    def worker(order: list[rig.Resource]) -> None:
        try:
            for _ in range(30):
                with rig.lock_all(order, timeout=30):
                    pass
        except BaseException as err:  # noqa: BLE001
            failures.append(err)

    threads = [threading.Thread(target=worker, args=(o,)) for o in ([a, b], [b, a])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not failures


def test_rigd_records_the_holder(need_rigd: str) -> None:
    name = _name("ps")
    with rig.resource(name).lock():
        rigd = explicit_rigd(os.environ["RIG_SERVER"])
        channel = rigd_channel(rigd)
        try:
            listed = pb_grpc.LockServiceStub(channel).ListLocks(pb.ListLocksRequest(), timeout=10)
        finally:
            channel.close()
        holders = [h for r in listed.resources if r.name == name for h in r.holders]
        assert len(holders) == 1
        holder = holders[0].holder
        assert holder.language == "python"
        assert holder.pid == os.getpid()
        assert "test_locks.py:" in holder.location
        assert "test_rigd_records_the_holder" in holder.test_name


@pytest.mark.usefixtures("need_rigd")
def test_rigd_killed_while_locked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """rigd killed while one lock is held and another waits: the holder learns its lock is
    lost (lost, held, assert_held say so), the waiter gets the lock from the next rigd
    (started for it) without an error."""
    monkeypatch.delenv("RIG_SERVER", raising=False)
    monkeypatch.delenv("RIG_TOKEN", raising=False)
    monkeypatch.setenv("RIG_DIR", str(tmp_path))
    first = find_or_start_rigd()
    assert first.pid > 0, "expected a rigd spawned for this test"
    try:
        name = _name("restart")
        held = rig.resource(name).lock()
        outcome: dict[str, object] = {}

        def wait() -> None:
            try:
                outcome["lock"] = rig.resource(name).lock(timeout=60)
            except Exception as err:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = err

        waiter = threading.Thread(target=wait)
        waiter.start()
        stub = pb_grpc.LockServiceStub(rigd_channel(first))
        deadline = time.monotonic() + 15
        while not any(r.name == name and len(r.waiters) == 1 for r in stub.ListLocks(pb.ListLocksRequest()).resources):
            assert time.monotonic() < deadline, "the second lock did not queue"
            time.sleep(0.02)

        os.kill(first.pid, signal.SIGKILL)
        assert held.lost.wait(10), "the held lock was not reported lost after rigd was killed"
        assert not held.held
        with pytest.raises(rig.LockLostError, match=f"lock on {name} lost: rigd went away"):
            held.assert_held()

        waiter.join(60)
        assert "error" not in outcome, f"the waiter failed instead of asking the next rigd: {outcome.get('error')}"
        lock = outcome["lock"]
        assert isinstance(lock, rig.HeldLock) and lock.held
        serving = rigd_pids_in(str(tmp_path))
        assert len(serving) == 1 and serving[0] != first.pid, f"the lock came from a new rigd (now {serving}, killed {first.pid})"
        lock.release()
    finally:
        for pid in {first.pid, *rigd_pids_in(str(tmp_path))}:
            stop_rigd(pid)
