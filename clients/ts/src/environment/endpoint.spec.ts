/** Endpoint conversion and the typed attribute helpers. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { EndpointSchema } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { postgresUrl, redisUrl, toEndpoint } from "./endpoint.js";

test("urls follow the protocol", () => {
  const http = toEndpoint(create(EndpointSchema, { host: "127.0.0.1", port: 8080, protocol: Protocol.HTTP }));
  assert.equal(http.url, "http://127.0.0.1:8080");
  assert.equal(http.hostPort, "127.0.0.1:8080");
  const grpc = toEndpoint(create(EndpointSchema, { host: "127.0.0.1", port: 9090, protocol: Protocol.GRPC }));
  assert.equal(grpc.url, "http://127.0.0.1:9090");
  const tcp = toEndpoint(create(EndpointSchema, { host: "::1", port: 5432, protocol: Protocol.TCP }));
  assert.equal(tcp.url, "tcp://[::1]:5432");
});

test("postgres and redis urls use the endpoint's address and the published attributes", () => {
  const pg = toEndpoint(
    create(EndpointSchema, {
      host: "127.0.0.1",
      port: 40001,
      protocol: Protocol.TCP,
      attributes: { PGHOST: "127.0.0.1", PGPORT: "5432", PGUSER: "rig", PGPASSWORD: "p@ss", PGDATABASE: "orders_1" },
    }),
  );
  assert.equal(postgresUrl(pg), "postgres://rig:p%40ss@127.0.0.1:40001/orders_1");
  const published = toEndpoint(
    create(EndpointSchema, {
      host: "127.0.0.1",
      port: 40003,
      attributes: { DATABASE_URL: "postgres://rig:pw@127.0.0.1:5432/orders_2?sslmode=disable", PGUSER: "ignored" },
    }),
  );
  assert.equal(postgresUrl(published), "postgres://rig:pw@127.0.0.1:40003/orders_2?sslmode=disable");
  const redis = toEndpoint(
    create(EndpointSchema, { host: "127.0.0.1", port: 40002, attributes: { REDIS_URL: "redis://127.0.0.1:6379/7" } }),
  );
  assert.equal(redisUrl(redis), "redis://127.0.0.1:40002/7");
});
