package rig

import (
	"fmt"
	"net/url"
)

// PostgresURL is a postgres:// connection string for an endpoint of a postgres service,
// for database/sql drivers (pgx, lib/pq) and psql. Host and port are always the
// endpoint's own, so an observing proxy is used when there is one. The rest comes from
// the published DATABASE_URL (which carries sslmode=disable) or, failing that, from
// PGUSER, PGPASSWORD and PGDATABASE.
//
// It panics when the endpoint publishes neither DATABASE_URL nor PGUSER and
// PGDATABASE: asking a non-postgres endpoint for one is a mistake in the test, not a
// runtime condition (like Wiring.Ingress).
func (e Endpoint) PostgresURL() string {
	if published := e.Attr("DATABASE_URL"); published != "" {
		return e.rehost("DATABASE_URL", published)
	}
	user, database := e.Attr("PGUSER"), e.Attr("PGDATABASE")
	if user == "" || database == "" {
		panic(fmt.Sprintf("rig: endpoint %s publishes neither DATABASE_URL nor PGUSER and PGDATABASE (attributes %v); is it a postgres service?",
			e.HostPort(), sortedKeys(e.Attributes)))
	}
	u := &url.URL{
		Scheme:  "postgres",
		User:    url.User(user),
		Host:    e.HostPort(),
		Path:    "/" + database,
		RawPath: "/" + url.PathEscape(database),
	}
	if password := e.Attr("PGPASSWORD"); password != "" {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// RedisURL is a redis:// URL for an endpoint of a redis service: the endpoint's host and
// port with the database number (and credentials) of the published REDIS_URL, or plain
// redis://host:port when there is no REDIS_URL. It panics when REDIS_URL is not a URL.
func (e Endpoint) RedisURL() string {
	if published := e.Attr("REDIS_URL"); published != "" {
		return e.rehost("REDIS_URL", published)
	}
	return "redis://" + e.HostPort()
}

// rehost points a published URL attribute at the endpoint's host and port: attributes
// are resolved against the service's own address, the endpoint may be a proxy in front.
func (e Endpoint) rehost(attribute, published string) string {
	u, err := url.Parse(published)
	if err != nil || u.Scheme == "" {
		panic(fmt.Sprintf("rig: endpoint %s publishes %s=%q, which is not a URL", e.HostPort(), attribute, published))
	}
	u.Host = e.HostPort()
	return u.String()
}
