"""rig.wiring.from_env: what a service started by rig reads about itself."""

import json

import pytest

from rig import wiring

WIRING = {
    "ingresses": {
        "default": {"host": "127.0.0.1", "port": 4100, "protocol": "http", "attributes": {}},
        "admin": {"host": "127.0.0.1", "port": 4101, "protocol": "grpc", "attributes": {}},
    },
    "egresses": {
        "db": {
            "host": "127.0.0.1",
            "port": 5433,
            "protocol": "tcp",
            "attributes": {"DATABASE_URL": "postgres://u:p@127.0.0.1:5433/app?sslmode=disable"},
        },
        "cache": {"host": "::1", "port": 6380, "protocol": "unspecified", "attributes": {"REDIS_URL": "redis://[::1]:6380/2"}},
    },
    "temp_dir": "/tmp/svc",
    "env_dir": "/tmp/env",
}


def test_from_env_reads_rig_wiring() -> None:
    w = wiring.from_env({"RIG_WIRING": json.dumps(WIRING)})
    assert w.ingress().url == "http://127.0.0.1:4100"
    assert w.ingress("admin").protocol == "grpc"
    assert w.egress("db").postgres_url() == "postgres://u:p@127.0.0.1:5433/app?sslmode=disable"
    assert w.egress("cache").protocol == "tcp"
    assert w.egress("cache").host_port == "[::1]:6380"
    assert w.egress("cache").redis_url() == "redis://[::1]:6380/2"
    assert (w.temp_dir, w.env_dir) == ("/tmp/svc", "/tmp/env")


def test_from_env_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIG_WIRING", json.dumps(WIRING))
    monkeypatch.setenv("RIG_SERVICE", "api")
    assert wiring.from_env().ingress().port == 4100
    assert wiring.service_name() == "api"


def test_from_env_outside_rig_says_so() -> None:
    with pytest.raises(LookupError, match=r"\$RIG_WIRING is not set"):
        wiring.from_env({})
    assert wiring.service_name({}) == ""


@pytest.mark.parametrize("raw", ["nope", "[]", '{"ingresses": {"default": {"port": 1}}}', '{"egresses": 3}'])
def test_from_env_rejects_what_is_not_wiring(raw: str) -> None:
    with pytest.raises(ValueError, match="not wiring JSON"):
        wiring.from_env({"RIG_WIRING": raw})


def test_missing_egress_names_what_there_is() -> None:
    w = wiring.from_env({"RIG_WIRING": json.dumps(WIRING)})
    with pytest.raises(LookupError, match=r"no egress 'queue'.*\['cache', 'db'\]"):
        w.egress("queue")
