"""rig.start's progress lines: nothing for a quick startup, then one line per change of
what it waits for, none after it is over, none with RIG_QUIET."""

import re
import sys
import time

import pytest

import rig
from rig.progress import UpProgress
from rig.v1 import event_pb2
from rig.v1.event_pb2 import Event


def _text(lines: list[str]) -> str:
    return "".join(re.sub(r"\[\d+\.\ds\]", "[T]", line) for line in lines)


def test_quick_startup_says_nothing() -> None:
    lines: list[str] = []
    p = UpProgress("orders", delay=0.03, throttle=0, write=lines.append, quiet=False)
    p.observe(Event(service="api", service_starting=event_pb2.ServiceStarting()))
    p.observe(Event(service="api", service_ready=event_pb2.ServiceReady()))
    p.stop()
    time.sleep(0.06)
    assert lines == []


def test_one_line_per_change_and_nothing_after_stop() -> None:
    lines: list[str] = []
    p = UpProgress("orders", delay=0.01, throttle=0, write=lines.append, quiet=False)
    time.sleep(0.05)
    for e in [
        Event(artifact_started=event_pb2.ArtifactStarted(key="img", description="pull postgres:16")),
        Event(service="db", service_prestart=event_pb2.ServicePrestart(hooks=1)),
        Event(artifact_completed=event_pb2.ArtifactCompleted(key="img")),
        Event(service="db", service_starting=event_pb2.ServiceStarting()),
        Event(service="~proxy.~test.api.default", service_starting=event_pb2.ServiceStarting()),
        Event(service="api", service_starting=event_pb2.ServiceStarting()),
        Event(service="api", service_log=event_pb2.ServiceLog(line="listening")),
        Event(service="db", service_healthy=event_pb2.ServiceHealthy()),
        Event(service="db", service_init=event_pb2.ServiceInit(hooks=1)),
        Event(service="db", service_ready=event_pb2.ServiceReady()),
        Event(service="api", service_ready=event_pb2.ServiceReady()),
    ]:
        p.observe(e)
    p.stop()
    p.observe(Event(service="late", service_starting=event_pb2.ServiceStarting()))
    assert _text(lines) == "".join(
        f"rig: orders [T] waiting for {w}\n"
        for w in [
            "rigd",
            "artifact pull postgres:16",
            "artifact pull postgres:16, db (prestart hooks)",
            "db (prestart hooks)",
            "db (starting, not yet ready)",
            "api (starting, not yet ready), db (starting, not yet ready)",
            "api (starting, not yet ready), db (healthy, not yet ready)",
            "api (starting, not yet ready), db (init hooks)",
            "api (starting, not yet ready)",
            "services to start",
        ]
    )


def test_an_artifacts_latest_line_shows_beside_it() -> None:
    lines: list[str] = []
    p = UpProgress("orders", delay=0.01, throttle=0, write=lines.append, quiet=False)
    time.sleep(0.05)
    for e in [
        Event(artifact_started=event_pb2.ArtifactStarted(key="img", description="image postgres:16")),
        Event(artifact_progress=event_pb2.ArtifactProgress(key="img", line="pulling postgres:16: 12.4 of 80.1 MiB, 3 of 9 layers done")),
        Event(artifact_progress=event_pb2.ArtifactProgress(key="other", line="not an artifact this environment waits for")),
        Event(artifact_completed=event_pb2.ArtifactCompleted(key="img")),
    ]:
        p.observe(e)
    p.stop()
    assert _text(lines) == "".join(
        f"rig: orders [T] waiting for {w}\n"
        for w in [
            "rigd",
            "artifact image postgres:16",
            "artifact image postgres:16 (pulling postgres:16: 12.4 of 80.1 MiB, 3 of 9 layers done)",
            "services to start",
        ]
    )


def test_bursts_make_one_line_and_rig_quiet_silences(monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    p = UpProgress("orders", delay=0.005, throttle=0.04, write=lines.append, quiet=False)
    time.sleep(0.03)
    p.observe(Event(service="db", service_starting=event_pb2.ServiceStarting()))
    p.observe(Event(service="db", service_ready=event_pb2.ServiceReady()))
    p.observe(Event(service="api", service_starting=event_pb2.ServiceStarting()))
    time.sleep(0.1)
    p.stop()
    assert _text(lines) == "rig: orders [T] waiting for rigd\nrig: orders [T] waiting for api (starting, not yet ready)\n"

    monkeypatch.setenv("RIG_QUIET", "1")
    quiet: list[str] = []
    q = UpProgress("x", delay=0.001, throttle=0, write=quiet.append)
    time.sleep(0.02)
    q.observe(Event(service="api", service_starting=event_pb2.ServiceStarting()))
    assert quiet == []


def test_start_of_a_slow_service_says_what_it_waits_for(
    need_rigd: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = rig.process("sh", "-c", f"sleep 3; exec {sys.executable} -m http.server $PORT --bind $HOST")
    monkeypatch.delenv("RIG_QUIET", raising=False)
    with rig.up({"slow": slow}, name="slow-up", observe=False):
        pass
    err = capsys.readouterr().err
    assert re.search(r"^rig: slow-up \[2\.\ds\] waiting for slow \(starting, not yet ready\)$", err, re.M), err

    monkeypatch.setenv("RIG_QUIET", "1")
    with rig.up({"slow": rig.process("sh", "-c", f"sleep 3; exec {sys.executable} -m http.server $PORT --bind $HOST")}, name="slow-up", observe=False):
        pass
    assert "waiting for" not in capsys.readouterr().err
