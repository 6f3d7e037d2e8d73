"""Runs in a fresh venv that has only the rig-client wheel (and its dependencies): the
rig_up fixture comes from the pytest11 entry point (there is no conftest.py), rigd is found
through $RIG_RIGD, and the services read their wiring with rig.wiring.from_env()."""

import os
import sys
import urllib.request
from pathlib import Path

import rig

HERE = Path(__file__).parent


def test_installed_wheel_not_the_checkout() -> None:
    assert Path(rig.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), rig.__file__
    assert "RIG_REPO" not in os.environ


def test_rig_up_fixture_brings_up_process_services(rig_up) -> None:  # type: ignore[no-untyped-def]
    service = str(HERE / "service.py")
    env = rig_up({
        "backend": rig.process(sys.executable, service),
        "front": rig.process(sys.executable, service).egress("backend"),
    })
    with urllib.request.urlopen(env.endpoint("front").url, timeout=10) as response:
        assert response.read() == b"front -> backend"
