"""pytest glue: the ``rig_up`` fixture brings environments up for a test and destroys
them after it, recording whether the test failed (and its failure as a test.note).

Enabled by the ``pytest11`` entry point of the installed package, or with
``pytest_plugins = ["rig.pytest_plugin"]`` in a conftest.py."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator, Mapping
from typing import Protocol, Unpack

import pytest

from rig.builders import Service
from rig.environment import Environment, StartOptions, start

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


class UpFunction(Protocol):
    """``rig_up(services, **options)``: what the fixture gives the test."""

    def __call__(self, services: Mapping[str, Service], **options: Unpack[StartOptions]) -> Environment: ...


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the item so the fixture knows if the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def rig_up(request: pytest.FixtureRequest) -> Iterator[UpFunction]:
    """A function that brings an environment up (options as for :func:`rig.start`,
    named after the test by default) and destroys it when the test ends."""
    environments: list[Environment] = []

    def up(services: Mapping[str, Service], **options: Unpack[StartOptions]) -> Environment:
        options.setdefault("name", request.node.name)
        env = start(services, **options)
        environments.append(env)
        return env

    yield up

    call = request.node.stash.get(_REPORTS, {}).get("call")
    failed = call is not None and call.failed
    problems: list[str] = []
    for env in reversed(environments):
        if env.error is not None:
            problems.append(str(env.error))
        if failed and call is not None:
            try:
                env.note(failure_note(call), level="error")
            except Exception:  # noqa: BLE001 - the note is a courtesy; destroy must happen
                pass
        result = env.destroy(test_failed=failed)
        if failed and result.log_path:
            print(f"rig: log of environment {env.id}: {result.log_path}")
        # A failed test explains itself in its output.
        if failed and result.diagnosis:
            print(f"rig explain:\n{result.diagnosis}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def failure_note(report: pytest.TestReport) -> str:
    """The test.note of a failed test: ``path:line: message`` of the failing line first
    (the shape the TypeScript and Go SDKs note assertions in), then the traceback."""
    text = report.longreprtext[-3000:]
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is None:
        return text
    path = str(crash.path)
    try:
        path = os.path.relpath(path)
    except ValueError:
        pass
    message = str(crash.message).split("\n")[0]
    return f"{path}:{crash.lineno}: {message}\n{text}"
