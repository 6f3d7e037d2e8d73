"""Inside a rig suite run (RIG_SUITE_RUN), the spec carries the run id and pytest's node id."""

import pytest

import rig


def test_labels_name_the_suite_run_and_the_pytest_node_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RIG_SUITE_RUN", raising=False)
    spec, _ = rig.build_spec({"w": rig.process("sleep", "1").no_ingress()}, name="x")
    assert dict(spec.labels) == {}
    monkeypatch.setenv("RIG_SUITE_RUN", "python-0123456789")
    spec, _ = rig.build_spec({"w": rig.process("sleep", "1").no_ingress()}, name="x")
    assert dict(spec.labels) == {
        "rig.suite.run": "python-0123456789",
        "rig.suite.test": "tests/test_suite_labels.py::test_labels_name_the_suite_run_and_the_pytest_node_id",
    }
