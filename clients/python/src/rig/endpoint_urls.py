"""Connection URLs for the attributes well-known service types publish: a Postgres
connection string and a Redis URL, always pointed at the endpoint's own host and port
(attributes are resolved against the service's address; the endpoint may be an
observing proxy in front of it)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit


def postgres_url(host_port: str, attributes: Mapping[str, str]) -> str:
    """A ``postgres://`` connection string from DATABASE_URL or, failing that, from
    PGUSER, PGPASSWORD and PGDATABASE. Raises ``LookupError`` when neither is published."""
    published = attributes.get("DATABASE_URL")
    if published:
        return _rehost(host_port, "DATABASE_URL", published)
    user, database = attributes.get("PGUSER"), attributes.get("PGDATABASE")
    if not user or not database:
        # Names only: the values include PGPASSWORD.
        raise LookupError(
            f"rig: endpoint {host_port} publishes neither DATABASE_URL nor PGUSER and PGDATABASE "
            f"(attributes {sorted(attributes)}); is it a postgres service?"
        )
    password = attributes.get("PGPASSWORD")
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return f"postgres://{auth}@{host_port}/{quote(database, safe='')}"


def redis_url(host_port: str, attributes: Mapping[str, str]) -> str:
    """A ``redis://`` URL with the database number (and credentials) of REDIS_URL, or
    ``redis://host:port`` when there is none. Raises ``ValueError`` when REDIS_URL is
    not a URL."""
    published = attributes.get("REDIS_URL")
    if not published:
        return f"redis://{host_port}"
    return _rehost(host_port, "REDIS_URL", published)


def _rehost(host_port: str, attribute: str, published: str) -> str:
    """The published URL with its host and port replaced, keeping credentials."""
    parts = urlsplit(published)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"rig: endpoint {host_port} publishes {attribute}={published!r}, which is not a URL")
    userinfo, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host_port}"))
