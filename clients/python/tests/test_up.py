"""The SDK against a real rigd: func services, hooks, failures and the pytest fixture."""

from __future__ import annotations

import re
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest

import rig
from rig.pytest_plugin import UpFunction
from rig.v1 import environment_service_pb2 as api


def serve_http(body: str) -> Callable[[rig.FuncContext], Callable[[], None]]:
    """A func service answering every GET with ``body``; it stops with the service."""

    def serve(ctx: rig.FuncContext) -> Callable[[], None]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                ctx.log(format % args)

        ingress = ctx.wiring.ingress()
        server = ThreadingHTTPServer((ingress.host, ingress.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ctx.log(f"serving {body!r}")

        def stop() -> None:
            server.shutdown()
            server.server_close()

        return stop

    return serve


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


@pytest.mark.usefixtures("need_rigd")
def test_a_func_service_serves_and_its_output_is_logged() -> None:
    with rig.up({"hello": rig.func(serve_http("hi"))}, observe=False) as env:
        assert get(env.endpoint("hello").url) == "hi"
    result = env.destroy()
    with open(result.event_log_path) as f:
        assert "serving 'hi'" in f.read()


@pytest.mark.usefixtures("need_rigd")
def test_a_func_service_that_fails_to_start_is_reported() -> None:
    def broken(ctx: rig.FuncContext) -> None:
        raise OSError("port taken")

    with pytest.raises(rig.DownError) as info:
        rig.start({"broken": rig.func(broken)}, observe=False)
    assert info.value.service == "broken" and "port taken" in str(info.value)


@pytest.mark.usefixtures("need_rigd")
def test_a_raising_hook_fails_its_service() -> None:
    def boom(ctx: rig.HookContext) -> None:
        raise RuntimeError("boom")

    with pytest.raises(rig.DownError) as info:
        rig.start({"svc": rig.func(serve_http("x")).init(boom)}, observe=False)
    assert info.value.service == "svc" and "boom" in str(info.value)


@pytest.mark.usefixtures("need_rigd")
def test_a_crashing_process_is_reported_with_its_stderr() -> None:
    with pytest.raises(rig.DownError) as info:
        rig.start({"crash": rig.process("sh", "-c", "echo 'config file missing' >&2; exit 2")}, observe=False)
    assert info.value.service == "crash"
    assert any("config file missing" in line for line in info.value.stderr_tail)
    # The message ends with rigd's diagnosis, as `rig explain` prints it.
    text = str(info.value)
    for want in ("\nrig explain:\n  ", "outcome   failed", "failed    crash while starting", "phases"):
        assert want in text, text


@pytest.mark.usefixtures("need_rigd")
def test_a_func_service_crashing_after_up_takes_the_environment_down() -> None:
    crash = threading.Event()

    def flaky(ctx: rig.FuncContext) -> None:
        stop = serve_http("ok")(ctx)
        try:
            while not ctx.stopped.is_set():
                if crash.wait(0.01):
                    raise RuntimeError("lost its database")
        finally:
            stop()

    env = rig.start({"flaky": rig.func(flaky)}, observe=False)
    try:
        assert env.error is None
        crash.set()
        assert env._session.down.wait(30), "environment still up 30s after its func service crashed"
        assert env.error is not None and "lost its database" in str(env.error)
    finally:
        env.destroy()


@pytest.mark.usefixtures("need_rigd")
def test_an_invalid_spec_lists_every_problem() -> None:
    with pytest.raises(rig.SpecError) as info:
        rig.start({"a": rig.process("true").egress("nowhere"), "b": rig.process("true").egress("elsewhere"), "Bad Name": rig.process("x")})
    error = info.value
    # Decoded from the rig.v1.SpecProblems detail: each problem with where it is.
    paths = [p.path for p in error.problems]
    assert len(error.problems) >= 3, error.problems
    assert any("(a).egresses[0]" in p for p in paths) and any("(b).egresses[0]" in p for p in paths), paths
    text = "\n".join(p.message for p in error.problems)
    assert "nowhere" in text and "elsewhere" in text and "Bad Name" in text
    for problem in error.problems:
        assert problem.message in str(error)


@pytest.mark.usefixtures("need_rigd")
def test_the_fixture_names_the_environment_after_the_test(rig_up: UpFunction) -> None:
    env = rig_up({"hello": rig.func(serve_http("fixture"))}, observe=False)
    state = env.client.GetEnvironment(api.GetEnvironmentRequest(environment_id=env.id), timeout=10).environment
    assert state.name == "test_the_fixture_names_the_environment_after_the_test"
    assert get(env.endpoint("hello").url) == "fixture"


@pytest.mark.usefixtures("need_rigd")
def test_the_fixture_records_a_failed_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import rig

        def test_fails(rig_up):
            rig_up({"idle": rig.func(lambda ctx: None).no_ingress()}, observe=False)
            assert False, "deliberate failure"
        """
    )
    result = pytester.runpytest_inprocess("-p", "rig.pytest_plugin", "-s")
    result.assert_outcomes(failed=1)
    printed = re.search(r"rig: log of environment \S+: (\S+)", result.stdout.str())
    assert printed, "the fixture prints where the log of a failed test is"
    with open(printed.group(1)) as f:
        log = f.read()
    assert "deliberate failure" in log, "the failure is recorded as a test.note"
    # Shaped as the TS and Go SDKs note assertions: file:line: message first.
    assert re.search(r"test_the_fixture_records_a_failed_test\.py:\d+: AssertionError: deliberate failure", log), log
    assert "test failed" in log or "test_failed" in log, log
    # The failed test explains itself: rigd's diagnosis follows, with the failure note.
    out = result.stdout.str()
    assert re.search(r"rig explain:\ntest_fails +\S+\noutcome   failed \(destroyed, test failed\)", out), out
    assert re.search(r"test notes \(1\)\n  \+\S+ error: .*deliberate failure", out), out
