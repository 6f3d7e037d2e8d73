/**
 * A new service type is one file plus one registration line. This file is that file: a
 * small `sleep` type defined here and registered with `extraTypes`, run by a real rigd
 * (in this process, serving on a real socket) next to a built-in type. It validates its
 * own config and templates, starts, is wired and is torn down like every other type.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { JsonObject } from "@bufbuild/protobuf";
import pino from "pino";
import type { ServiceType } from "../contract/service-type.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { pidIsAlive } from "../os/pid-alive.js";
import { FIXTURES, bearer, collectEvents, eventually, spec, type Rigd } from "../testing/rigd-harness.js";
import { composeBackend } from "./compose-backend.js";
import { startRigd, type RunningRigd } from "./start-rigd.js";

/** Config of the sleep type, read from `custom.config`. */
interface SleepConfig {
  readonly seconds: number;
  /** A `${VAR}` template the type expands at start and writes to its temp dir. */
  readonly note: string;
}

/** The whole type: sleeps in a child process; no ingress, any egresses. */
function createSleepType(): ServiceType<SleepConfig> {
  return {
    name: "sleep",
    defaults: { defaultProtocol: undefined, serverHooks: [], attributes: [] },
    configOf(service) {
      if (service.config.case !== "custom" || service.config.value.type !== "sleep") return undefined;
      const json: JsonObject = service.config.value.config ?? {};
      return { seconds: typeof json["seconds"] === "number" ? json["seconds"] : Number.NaN, note: String(json["note"] ?? "") };
    },
    validate({ service: { config }, problems, templates }) {
      if (!(config.seconds > 0)) problems.add("custom.config.seconds", "seconds must be a positive number");
      templates.check("custom.config.note", [config.note]);
    },
    async publish() {
      return {};
    },
    async start(ctx) {
      writeFileSync(join(ctx.tempDir, "note"), ctx.expand(ctx.service.config.note));
      const child = spawn("sleep", [String(ctx.service.config.seconds)], { stdio: ["ignore", "pipe", "pipe"] });
      ctx.output.line(LogStream.STDOUT, `sleeping ${ctx.service.config.seconds}s`);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal })),
      );
      await new Promise((resolve, reject) => child.once("spawn", resolve).once("error", reject));
      return {
        pid: child.pid!,
        exited,
        stop: () => {
          child.kill("SIGTERM");
          return exited;
        },
      };
    },
  };
}

let rigDir: string;
let rigd: RunningRigd;
let client: Client<typeof EnvironmentService>;

before(async () => {
  rigDir = mkdtempSync(join(tmpdir(), "rig-custom-type-"));
  rigd = await startRigd({
    rigDir,
    idleMs: 0,
    logger: pino({ level: "silent" }),
    createBackend: (context) => composeBackend(context, { extraTypes: [createSleepType()] }),
  });
  client = createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${rigd.address}`, interceptors: [bearer(rigd.token)] }));
});

after(async () => {
  await rigd.close();
  rmSync(rigDir, { recursive: true, force: true });
});

function sleepService(name: string, config: JsonObject, egresses: { service: string }[] = []) {
  return { name, egresses, config: { case: "custom" as const, value: { type: "sleep", config } } };
}

describe("a service type added from one file", () => {
  it("validates its own config and templates, and is listed among the known types", async () => {
    const err = await client
      .createEnvironment({
        spec: spec({ services: [sleepService("nap", { seconds: -1, note: "${NOPE}" })] }),
      })
      .then(
        () => assert.fail("expected INVALID_ARGUMENT"),
        (e: unknown) => ConnectError.from(e),
      );
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.rawMessage, /services\[0\]\(nap\)\.custom\.config\.seconds: seconds must be a positive number/);
    assert.match(err.rawMessage, /services\[0\]\(nap\)\.custom\.config\.note\[0\]: template references unknown variable \$\{NOPE\}/);

    const unknown = await client.createEnvironment({ spec: spec({ services: [{ name: "x", config: { case: "custom", value: { type: "nap" } } }] }) }).then(
      () => assert.fail("expected INVALID_ARGUMENT"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.match(unknown.rawMessage, /unknown type "nap" \(this rigd knows: process, client, container, postgres, redis, go, node, s3, sqs, temporal, kafka, sleep\)/);
  });

  it("starts wired to its egress, and stops at teardown", async () => {
    const fakeRigd = { client } as unknown as Rigd;
    const { environmentId } = await client.createEnvironment({
      spec: spec({
        name: "nap",
        services: [
          {
            name: "web",
            config: { case: "process", value: { command: process.execPath, args: [join(FIXTURES, "chain-server.js"), rigDir] } },
          },
          sleepService("nap", { seconds: 300, note: "web is at ${WEB_HOST}:${WEB_PORT}" }, [{ service: "web" }]),
        ],
      }),
    });
    const events = await collectEvents(fakeRigd, environmentId);
    assert.equal(events.at(-1)?.type, "environment.up", JSON.stringify(events.at(-1)?.payload.value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)));

    const env = await client.getEnvironment({ environmentId });
    const nap = env.environment?.services.find((s) => s.name === "nap");
    const web = env.environment?.services.find((s) => s.name === "web");
    assert.ok(nap && web);
    assert.equal(nap.type, "sleep");
    const note = readFileSync(join(nap.tempDir, "note"), "utf8");
    assert.equal(note, `web is at 127.0.0.1:${web.ingresses["default"]?.port}`);
    const starting = events.find((e) => e.service === "nap" && e.payload.case === "serviceStarting");
    const pid = starting?.payload.case === "serviceStarting" ? starting.payload.value.pid : 0;
    assert.ok(pid > 0 && pidIsAlive(pid), "the sleep process runs");

    const down = await client.destroyEnvironment({ environmentId });
    assert.equal(down.down?.failedService, "");
    await eventually(() => !pidIsAlive(pid), 5_000, "the sleep process to stop");
    assert.equal(existsSync(nap.tempDir), false, "its temp dir is removed");
    const log = await collectEvents(fakeRigd, environmentId, () => false);
    const stopped = log.filter((e) => e.payload.case === "serviceStopped").map((e) => e.service);
    // Reverse dependency order: the dependent stops before its egress target.
    assert.ok(stopped.indexOf("nap") < stopped.indexOf("web"), `stop order: ${stopped.join(", ")}`);
  });
});
