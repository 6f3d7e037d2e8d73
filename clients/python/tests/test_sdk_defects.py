"""Ctrl-C / SIGTERM of a test process destroys its environments at once, then the
signal takes its course (a real signalled Python process); pooled images follow the
test process's RIG_POSTGRES_IMAGE / RIG_REDIS_IMAGE."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rig
from rig.v1 import environment_service_pb2 as api
from rig.v1 import environment_service_pb2_grpc as api_grpc

_TARGET = """
import faulthandler, json, os, signal, sys, time
import rig

# The test asks for every thread's stack with SIGUSR1 when this process does not end.
faulthandler.register(signal.SIGUSR1, all_threads=True)

pid_file = os.environ["RIG_FIXTURE_PIDFILE"]
env = rig.start({"sleeper": rig.process("sh", "-c", f"echo $$ > {pid_file}; exec sleep 300").no_ingress()}, name="signalled", observe=False)
print(json.dumps({"id": env.id}), flush=True)
while True:
    time.sleep(1)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return ") Z " not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


@pytest.mark.usefixtures("need_rigd")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signalled_test_process_destroys_its_environment_then_the_signal_takes_its_course(signum: int, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    paths = [str(Path(rig.__file__).parent.parent), str(Path(api.__file__).parent.parent.parent)]
    env = {**os.environ, "RIG_FIXTURE_PIDFILE": str(pid_file), "PYTHONPATH": os.pathsep.join(paths)}
    child = subprocess.Popen([sys.executable, "-c", _TARGET], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line, f"the test process printed nothing: {child.stderr.read() if child.stderr else ''}"
        environment_id = json.loads(line)["id"]
        deadline = time.monotonic() + 5
        while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        service_pid = int(pid_file.read_text())
        assert _alive(service_pid)

        child.send_signal(signum)
        try:
            code = child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
            child.kill()
            _, stderr = child.communicate()
            pytest.fail(f"the test process did not end within 20 s of {signal.Signals(signum).name}; its threads:\n{stderr}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if signum == signal.SIGTERM:
        assert code == -signal.SIGTERM, f"exit {code}; want death by SIGTERM"
    else:
        # Python's SIGINT handler raised KeyboardInterrupt, as without rig.
        stderr = child.stderr.read() if child.stderr else ""
        assert code != 0 and "KeyboardInterrupt" in stderr, (code, stderr)

    with rig.rigd_channel(rig.find_or_start_rigd()) as channel:
        stub = api_grpc.EnvironmentServiceStub(channel)
        live = [e.id for e in stub.ListEnvironments(api.ListEnvironmentsRequest(), timeout=10).environments]
    assert environment_id not in live, f"{environment_id} still live after {signal.Signals(signum).name}"
    deadline = time.monotonic() + 5
    while _alive(service_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(service_pid), "the service's process is gone"


@pytest.mark.usefixtures("need_rigd")
def test_handlers_are_installed_only_while_an_environment_is_open() -> None:
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    env = rig.start({"idle": rig.func(lambda ctx: None).no_ingress()}, observe=False)
    try:
        assert signal.getsignal(signal.SIGTERM) is not before[1]
    finally:
        env.destroy()
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_pooled_images_follow_the_test_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def images() -> list[str]:
        spec, _ = rig.build_spec({"db": rig.postgres(), "cache": rig.redis(), "pinned": rig.postgres("postgres:15")})
        by_name = {s.name: s for s in spec.services}
        return [by_name["db"].postgres.image, by_name["cache"].redis.image, by_name["pinned"].postgres.image]

    monkeypatch.setenv("RIG_POSTGRES_IMAGE", "example/pg:1")
    monkeypatch.setenv("RIG_REDIS_IMAGE", "example/redis:1")
    assert images() == ["example/pg:1", "example/redis:1", "postgres:15"]
    monkeypatch.delenv("RIG_POSTGRES_IMAGE")
    monkeypatch.delenv("RIG_REDIS_IMAGE")
    assert images() == ["", "", "postgres:15"], "unset: rigd's default applies"
