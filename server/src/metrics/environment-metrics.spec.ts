/**
 * The environment metrics observe events as they are appended: traffic that left the
 * log's memory is counted without the log being read back (its load throws here), and
 * what happened before the first scrape (which builds the prom-client registry) counts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { EventLog, StoredEvent } from "../events/event-log.js";
import {
  ConnectionOpenedSchema,
  DownReason,
  EnvironmentCreatedSchema,
  EnvironmentDownSchema,
  EnvironmentUpSchema,
  GrpcCallCompletedSchema,
  RequestCompletedSchema,
  ServiceReadySchema,
  ServiceStartingSchema,
  ServiceSummarySchema,
} from "../gen/rig/v1/event_pb.js";
import { EnvironmentMetrics } from "./environment-metrics.js";
import { LazyRegistry, QUEUE_LIMIT } from "./lazy-registry.js";

/** A log whose traffic leaves memory almost at once, and which cannot read it back. */
function diskOnlyLog(id: string): { log: EventLog; loads: () => number } {
  let offset = 0;
  let loads = 0;
  const log = new EventLog(id, () => new StoredEvent((offset += 100), 100), {
    trafficInMemory: 1000,
    load: () => {
      loads++;
      throw new Error("the metrics read the log back from disk");
    },
  });
  return { log, loads: () => loads };
}

type Family = ReturnType<typeof parsePrometheusTextFormat>[number];

async function scrapeFamilies(registry: LazyRegistry): Promise<Map<string, Family> & { text: string }> {
  const { text } = await registry.scrape();
  return Object.assign(new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family])), { text });
}

describe("environment metrics", () => {
  it("count traffic that left memory without reading the log back, and what came before the first scrape", async () => {
    const { log, loads } = diskOnlyLog("env-1");
    const registry = new LazyRegistry();
    const metrics = new EnvironmentMetrics(registry, { liveCount: 1, observe: (_id, observer) => log.observe(observer) });

    log.append("", {
      case: "environmentCreated",
      value: create(EnvironmentCreatedSchema, { services: [create(ServiceSummarySchema, { name: "db", type: "postgres" })] }),
    });
    metrics.created("env-1"); // as rigd does: after create() returned, the first events already logged
    log.append("db", { case: "serviceStarting", value: create(ServiceStartingSchema, {}) });
    log.append("db", { case: "serviceReady", value: create(ServiceReadySchema, {}) });
    log.append("", { case: "environmentUp", value: create(EnvironmentUpSchema, {}) });
    const requests = 3 * 256 + 100;
    for (let i = 0; i < requests; i++) {
      log.append("~proxy", { case: "requestCompleted", value: create(RequestCompletedSchema, { status: i % 10 === 0 ? 500 : 200 }) });
      log.append("~proxy", { case: "grpcCallCompleted", value: create(GrpcCallCompletedSchema, { statusCode: Code.NotFound }) });
      log.append("~proxy", { case: "connectionOpened", value: create(ConnectionOpenedSchema, {}) });
    }
    log.append("~proxy", { case: "requestCompleted", value: create(RequestCompletedSchema, { error: "connection refused" }) });
    log.append("", { case: "environmentDown", value: create(EnvironmentDownSchema, { reason: DownReason.DESTROYED }) });
    log.close();
    assert.ok(log.trafficOnDiskOnly > 2 * requests, `traffic left memory (${log.trafficOnDiskOnly} events on disk only)`);

    const families = await scrapeFamilies(registry);
    const calls = (protocol: string, status: string): string | undefined =>
      families.get("rig_proxy_calls_total")?.metrics.find((m) => m.labels?.["protocol"] === protocol && m.labels?.["status"] === status)?.value;
    assert.equal(calls("http", "200"), String(requests - Math.ceil(requests / 10)));
    assert.equal(calls("http", "500"), String(Math.ceil(requests / 10)));
    assert.equal(calls("http", "error"), "1");
    assert.equal(calls("grpc", "notfound"), String(requests));
    assert.equal(families.get("rig_environments_created_total")?.metrics[0]?.value, "1");
    assert.equal(families.get("rig_environments_live")?.metrics[0]?.value, "1");
    assert.equal(families.get("rig_environment_up_seconds")?.metrics[0]?.buckets?.["+Inf"], "1");
    // (the parser drops a histogram's labels)
    assert.match(families.text, /^rig_service_start_seconds_count\{type="postgres"\} 1$/m);
    assert.equal(families.get("rig_pool_leases_total")?.metrics.find((m) => m.labels?.["pool"] === "postgres")?.value, "1");
    assert.equal(families.get("rig_environments_down_total")?.metrics.find((m) => m.labels?.["reason"] === "destroyed")?.value, "1");
    assert.equal(loads(), 0, "the log was never read back");
  });

  it("keep counting across scrapes, and count an environment observed after it went down", async () => {
    const registry = new LazyRegistry();
    const logs = new Map<string, EventLog>();
    const metrics = new EnvironmentMetrics(registry, { liveCount: 0, observe: (id, observer) => logs.get(id)!.observe(observer) });
    const request = (log: EventLog) => log.append("~proxy", { case: "requestCompleted", value: create(RequestCompletedSchema, { status: 204 }) });
    const a = diskOnlyLog("a").log;
    logs.set("a", a);
    metrics.created("a");
    request(a);
    const first = await scrapeFamilies(registry);
    assert.equal(first.get("rig_proxy_calls_total")?.metrics[0]?.value, "1");
    request(a);
    request(a);
    a.append("", { case: "environmentDown", value: create(EnvironmentDownSchema, { reason: DownReason.FAILED }) });
    a.close();
    const b = diskOnlyLog("b").log;
    logs.set("b", b);
    request(b);
    b.append("", { case: "environmentDown", value: create(EnvironmentDownSchema, { reason: DownReason.DESTROYED }) });
    b.close();
    metrics.created("b");
    metrics.created("forgotten"); // observe throws: counted as created, nothing more
    const second = await scrapeFamilies(registry);
    assert.equal(second.get("rig_proxy_calls_total")?.metrics[0]?.value, "4");
    assert.equal(second.get("rig_environments_created_total")?.metrics[0]?.value, "3");
    const down = (reason: string) => second.get("rig_environments_down_total")?.metrics.find((m) => m.labels?.["reason"] === reason)?.value;
    assert.equal(down("failed"), "1");
    assert.equal(down("destroyed"), "1");
  });
});

describe("lazy registry", () => {
  it("builds prom-client's metrics once QUEUE_LIMIT updates wait, replaying them in order", async () => {
    const registry = new LazyRegistry();
    let built = false;
    const update = registry.add((prom, registers) => {
      built = true;
      return new prom.Gauge({ name: "queued", help: "last update wins", registers: [registers] });
    });
    for (let i = 1; i < QUEUE_LIMIT; i++) update((gauge) => gauge.set(i));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(built, false, "not built before the limit or a scrape");
    update((gauge) => gauge.set(QUEUE_LIMIT));
    for (let i = 0; i < 100 && !built; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(built, true, "built once the queue reached its limit");
    const { text } = await registry.scrape();
    assert.match(text, new RegExp(`^queued ${QUEUE_LIMIT}$`, "m"));
    update((gauge) => gauge.set(-1)); // applied at once now
    assert.match((await registry.scrape()).text, /^queued -1$/m);
    assert.throws(() => registry.add(() => undefined), /before the registry is built/);
  });
});
