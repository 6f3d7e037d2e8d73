"""Postgres and Redis URLs come from the published attributes, on the endpoint's address."""

from __future__ import annotations

import pytest

import rig


def test_postgres_url_builds_from_pg_attributes_on_the_endpoint_address() -> None:
    endpoint = rig.Endpoint(
        host="127.0.0.1",
        port=40001,
        protocol="tcp",
        attributes={"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "rig", "PGPASSWORD": "p@ss", "PGDATABASE": "orders_1"},
    )
    assert endpoint.postgres_url() == "postgres://rig:p%40ss@127.0.0.1:40001/orders_1"


def test_postgres_url_without_password_on_ipv6() -> None:
    endpoint = rig.Endpoint(host="::1", port=5432, protocol="tcp", attributes={"PGUSER": "postgres", "PGDATABASE": "a/b c"})
    assert endpoint.postgres_url() == "postgres://postgres@[::1]:5432/a%2Fb%20c"


def test_postgres_url_prefers_database_url_rehosted_to_the_endpoint() -> None:
    endpoint = rig.Endpoint(
        host="127.0.0.1",
        port=40001,
        protocol="tcp",
        attributes={
            "PGUSER": "ignored",
            "PGDATABASE": "ignored",
            "DATABASE_URL": "postgres://rig:secret@127.0.0.1:5432/orders_1?sslmode=disable",
        },
    )
    assert endpoint.postgres_url() == "postgres://rig:secret@127.0.0.1:40001/orders_1?sslmode=disable"


def test_postgres_url_raises_without_postgres_attributes() -> None:
    endpoint = rig.Endpoint(host="127.0.0.1", port=40001, protocol="tcp", attributes={"PGUSER": "rig", "PGPASSWORD": "secret"})
    with pytest.raises(LookupError, match="neither DATABASE_URL nor PGUSER and PGDATABASE") as raised:
        endpoint.postgres_url()
    assert "127.0.0.1:40001" in str(raised.value)
    assert "secret" not in str(raised.value)


def test_redis_url_keeps_the_published_database_on_the_endpoint_address() -> None:
    endpoint = rig.Endpoint(host="127.0.0.1", port=40002, protocol="tcp", attributes={"REDIS_URL": "redis://:pw@127.0.0.1:6379/7"})
    assert endpoint.redis_url() == "redis://:pw@127.0.0.1:40002/7"


def test_redis_url_falls_back_to_host_port() -> None:
    assert rig.Endpoint(host="127.0.0.1", port=40002, protocol="tcp").redis_url() == "redis://127.0.0.1:40002"


def test_redis_url_raises_on_a_published_value_that_is_not_a_url() -> None:
    endpoint = rig.Endpoint(host="127.0.0.1", port=40002, protocol="tcp", attributes={"REDIS_URL": "127.0.0.1:6379"})
    with pytest.raises(ValueError, match="REDIS_URL"):
        endpoint.redis_url()
