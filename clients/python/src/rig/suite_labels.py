"""Labels that link an environment to the rig suite run it was created in.

rigd's suite runner sets RIG_SUITE_RUN for the suite's command; pytest names the running
test in PYTEST_CURRENT_TEST ("path::test (call)"). The labels let rigd's run history link
each test to its environments (see proto/rig/v1/suite_service.proto).
"""

from __future__ import annotations

import os

SUITE_RUN_LABEL = "rig.suite.run"
SUITE_TEST_LABEL = "rig.suite.test"


def suite_labels() -> dict[str, str]:
    """The run id and the pytest node id of the current test; empty outside a suite run."""
    run = os.environ.get("RIG_SUITE_RUN", "")
    if not run:
        return {}
    labels = {SUITE_RUN_LABEL: run}
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    if current:
        # "tests/test_x.py::test_a (call)": the node id without the phase.
        labels[SUITE_TEST_LABEL] = current.rsplit(" (", 1)[0]
    return labels
