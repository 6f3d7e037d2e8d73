/**
 * Only its owner can drive rigd (SPEC §10), proven against real rigd processes over real
 * sockets: DNS rebinding and cross-origin requests get 403 before any handler runs, every
 * RPC but health Check needs the token on every protocol and client (Connect gRPC,
 * gRPC-Web, Connect JSON, grpc-js, grpcurl), RIG_DIR and what is in it are closed to other
 * users, services never see the token, and the unix socket keeps the same rules.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import path, { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { GrpcReflection } from "grpc-js-reflection-client";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { rigdVersion } from "../rigd/rig-dir.js";
import { bearer, eventually, grpcJsBearer, RIGD_MAIN, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

const run = promisify(execFile);
const GRPCURL = [
  ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => join(dir, "grpcurl")),
  fileURLToPath(new URL("../../../.tools/bin/grpcurl", import.meta.url)),
].find((file) => existsSync(file));
const IS_ROOT = process.getuid?.() === 0;

/** A spec whose only service would create `marker` if it ever ran. */
function markerSpec(marker: string): object {
  return { spec: { name: "rebind", services: [{ name: "m", process: { command: "touch", args: [marker] } }] } };
}

/** One HTTP/1.1 request with exactly these headers (Host included); resolves status, headers, body. */
function http1(
  address: string,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body = "",
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const [host, port] = address.split(":") as [string, string];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path: urlPath, headers, setHost: false }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** One h2c request with this :authority. */
function h2(address: string, authority: string, urlPath: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${address}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": urlPath, ":authority": authority, ...headers });
    stream.on("response", (h) => {
      resolve(Number(h[":status"]));
      session.close();
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

function transports(address: string, interceptors: Interceptor[]): Record<string, Transport> {
  const baseUrl = `http://${address}`;
  return {
    grpc: createGrpcTransport({ baseUrl, interceptors }),
    "grpc-web": createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }),
    "connect-json": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, interceptors }),
  };
}

/** A raw grpc-js unary call of ListEnvironments (empty request); resolves the status code. */
function grpcJsList(address: string, token?: string): Promise<{ code: grpc.status; details: string }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), token ? { interceptors: [grpcJsBearer(token)] } : {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/rig.v1.EnvironmentService/ListEnvironments",
      () => Buffer.alloc(0),
      (b: Buffer) => b,
      null,
      (err) => {
        client.close();
        resolve({ code: err?.code ?? grpc.status.OK, details: err?.details ?? "" });
      },
    );
  });
}

describe("only its owner can drive rigd", { concurrency: false }, () => {
  let rigd: Rigd;
  let other: Rigd;
  before(async () => {
    // RIG_TOKEN in rigd's own environment must never reach a service either.
    process.env.RIG_TOKEN = "token-from-rigds-own-env";
    try {
      [rigd, other] = await Promise.all([startRigd(), startRigd()]);
    } finally {
      delete process.env.RIG_TOKEN;
    }
  });
  after(async () => {
    await Promise.all([rigd?.stop(), other?.stop()]);
  });

  it("answers a DNS-rebinding request with 403 and starts nothing (HTTP/1.1 and h2c)", async () => {
    const marker = join(rigd.rigDir, "rebound");
    const path = "/rig.v1.EnvironmentService/CreateEnvironment";
    // Even with the right token: the Host is what gives the page away.
    const headers = { "content-type": "application/json", authorization: `Bearer ${rigd.token}` };
    const h1 = await http1(rigd.address, "POST", path, { ...headers, host: "rebind.attacker.example" }, JSON.stringify(markerSpec(marker)));
    assert.equal(h1.status, 403);
    assert.match(h1.body, /Host "rebind\.attacker\.example" is not rigd's address/);
    assert.equal(h1.headers["access-control-allow-origin"], undefined);
    const port = rigd.address.split(":")[1];
    assert.equal(await h2(rigd.address, `rebind.attacker.example:${port}`, path, headers, JSON.stringify(markerSpec(marker))), 403);
    const noHost = await http1(rigd.address, "POST", path, headers, JSON.stringify(markerSpec(marker)));
    assert.ok([400, 403].includes(noHost.status), `no Host: ${noHost.status}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(existsSync(marker), false, "the spec's command never ran");
    assert.deepEqual((await rigd.client.listEnvironments({})).environments, [], "no environment was created");
  });

  it("refuses cross-origin requests and gives a preflight no CORS allowance", async () => {
    const path = "/rig.v1.EnvironmentService/ListEnvironments";
    const host = rigd.address;
    const auth = { "content-type": "application/json", authorization: `Bearer ${rigd.token}`, host };
    const evil = await http1(rigd.address, "POST", path, { ...auth, origin: "http://evil.example" }, "{}");
    assert.equal(evil.status, 403);
    assert.equal(evil.headers["access-control-allow-origin"], undefined);
    const preflight = await http1(rigd.address, "OPTIONS", path, {
      host,
      origin: "http://evil.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    assert.notEqual(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], undefined);
    assert.equal(preflight.headers["access-control-allow-headers"], undefined);
    // rigd's own origin (a later dashboard) is let through, still without CORS headers.
    const own = await http1(rigd.address, "POST", path, { ...auth, origin: `http://${rigd.address}` }, "{}");
    assert.equal(own.status, 200);
    assert.equal(own.headers["access-control-allow-origin"], undefined);
    // Node's http2 client names IPv6 loopback without brackets; served, and rigd lives on.
    const port0 = rigd.address.split(":")[1];
    assert.equal(await h2(rigd.address, `::1:${port0}`, "/grpc.health.v1.Health/Check", { "content-type": "application/json" }, "{}"), 200);
    assert.equal(rigd.child.exitCode, null, "rigd still runs");
    // localhost names rigd too.
    const port = rigd.address.split(":")[1];
    assert.equal((await http1(rigd.address, "POST", path, { ...auth, host: `localhost:${port}` }, "{}")).status, 200);
  });

  const badTokens: [string, () => string | undefined][] = [
    ["no token", () => undefined],
    ["a wrong token", () => "x".repeat(43)],
    ["another rigd's token", () => other.token],
  ];

  for (const [what, token] of badTokens) {
    it(`answers UNAUTHENTICATED to ${what} over gRPC, gRPC-Web, Connect JSON, grpc-js and grpcurl`, async () => {
      const presented = token();
      const interceptors = presented ? [bearer(presented)] : [];
      for (const [name, transport] of Object.entries(transports(rigd.address, interceptors))) {
        await assert.rejects(createClient(EnvironmentService, transport).listEnvironments({}), (err: unknown) => {
          const e = ConnectError.from(err);
          assert.equal(e.code, Code.Unauthenticated, `${name}: ${e.message}`);
          assert.match(e.rawMessage, new RegExp(`kept in ${rigd.rigDir}/rigd\\.token`), name);
          return true;
        });
      }
      // Reflection is no way around it.
      const reflection = new GrpcReflection(rigd.address, grpc.credentials.createInsecure(), presented ? { interceptors: [grpcJsBearer(presented)] } : {}, "v1");
      await assert.rejects(reflection.listServices(), /UNAUTHENTICATED|Unauthenticated|16/);

      const json = await fetch(`http://${rigd.address}/rig.v1.EnvironmentService/ListEnvironments`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(presented ? { authorization: `Bearer ${presented}` } : {}) },
        body: "{}",
      });
      assert.equal(json.status, 401);
      assert.equal(((await json.json()) as { code: string }).code, "unauthenticated");

      const viaGrpcJs = await grpcJsList(rigd.address, presented);
      assert.equal(viaGrpcJs.code, grpc.status.UNAUTHENTICATED, viaGrpcJs.details);

      if (GRPCURL) {
        const args = ["-plaintext", ...(presented ? ["-H", `authorization: Bearer ${presented}`] : [])];
        for (const call of [[rigd.address, "list"], ["-d", "{}", rigd.address, "rig.v1.EnvironmentService/ListEnvironments"]]) {
          const result = await run(GRPCURL, [...args, ...call], { timeout: 20_000 }).then(
            () => "ok",
            (err: { stderr?: string }) => err.stderr ?? "",
          );
          assert.match(result, /Unauthenticated/, `grpcurl ${call.join(" ")}`);
        }
      }
    });
  }

  it("answers health Check without a token, and every call with the right one", async () => {
    for (const [name, transport] of Object.entries(transports(rigd.address, []))) {
      const health = createClient(Health, transport);
      assert.equal((await health.check({ service: "" })).status, ServingStatus.SERVING, name);
    }
    for (const [name, transport] of Object.entries(transports(rigd.address, [bearer(rigd.token)]))) {
      assert.deepEqual((await createClient(EnvironmentService, transport).listEnvironments({})).environments, [], name);
    }
    assert.equal((await grpcJsList(rigd.address, rigd.token)).code, grpc.status.OK);
    // The token must match exactly.
    assert.equal((await grpcJsList(rigd.address, `${rigd.token}x`)).code, grpc.status.UNAUTHENTICATED);
    if (GRPCURL) {
      const { stdout } = await run(GRPCURL, ["-plaintext", "-H", `authorization: Bearer ${rigd.token}`, rigd.address, "list"]);
      assert.match(stdout, /rig\.v1\.EnvironmentService/);
    }
  });

  it("keeps the token out of every service's environment", async () => {
    const dump = join(rigd.rigDir, "env-dump");
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "envdump",
        // The client hands its own env over (as SDKs do), token included, and a service
        // env that smuggles the token value under another name.
        hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", RIG_TOKEN: rigd.token, MY_SECRET: rigd.token },
        services: [
          {
            name: "dumper",
            config: {
              case: "process",
              value: { command: "sh", args: ["-c", `env > ${dump}; exec sleep 60`], env: { ALSO: `x${rigd.token}x` } },
            },
          },
        ],
      }),
    });
    // A second one with no host_env: it inherits rigd's own env, which had RIG_TOKEN.
    const inherited = join(rigd.rigDir, "env-dump-inherited");
    const second = await rigd.client.createEnvironment({
      spec: spec({
        name: "envdump2",
        services: [{ name: "dumper", config: { case: "process", value: { command: "sh", args: ["-c", `env > ${inherited}; exec sleep 60`] } } }],
      }),
    });
    try {
      // The services have no server, so readiness would fail in time; their env is all we need.
      await eventually(() => existsSync(dump) && existsSync(inherited), 15_000, "the env dumps");
      await new Promise((r) => setTimeout(r, 100)); // let `env >` finish writing
      for (const file of [dump, inherited]) {
        const env = readFileSync(file, "utf8");
        assert.match(env, /^PATH=/m, "the dump is a real environment");
        assert.doesNotMatch(env, /RIG_TOKEN/, file);
        assert.ok(!env.includes(rigd.token), `${file} holds the token`);
        assert.ok(!env.includes("token-from-rigds-own-env"), `${file} holds rigd's own RIG_TOKEN`);
      }
      assert.doesNotMatch(readFileSync(dump, "utf8"), /^(MY_SECRET|ALSO)=/m);
    } finally {
      for (const id of [environmentId, second.environmentId]) await rigd.client.destroyEnvironment({ environmentId: id });
    }
  });

  it("keeps RIG_DIR, the token, logs and temp dirs private (0700/0600)", () => {
    assert.equal(statSync(rigd.rigDir).mode & 0o777, 0o700);
    for (const sub of ["cache", "logs", "tmp", "run"]) assert.equal(statSync(join(rigd.rigDir, sub)).mode & 0o777, 0o700, sub);
    for (const file of ["rigd.token", "rigd.addr", `rigd-${rigdVersion()}.log`]) {
      assert.equal(statSync(join(rigd.rigDir, file)).mode & 0o777, 0o600, file);
    }
    assert.match(readFileSync(join(rigd.rigDir, "rigd.token"), "utf8"), /^[A-Za-z0-9_-]{43}\n$/, "256 bits, base64url");
    assert.notEqual(rigd.token, other.token);
  });

  it("is unreadable for another user", { skip: IS_ROOT ? false : "needs root to create a throw-away user (useradd, runuser)" }, async () => {
    const user = `rigsec${process.pid}`;
    await run("useradd", ["--no-create-home", "--shell", "/bin/sh", user]);
    try {
      const logsDir = join(rigd.rigDir, "logs");
      const envLogs = readdirSync(logsDir).map((env) => join(logsDir, env, "rig.log"));
      const targets = [join(rigd.rigDir, "rigd.token"), join(rigd.rigDir, `rigd-${rigdVersion()}.log`), ...envLogs];
      for (const target of targets) {
        await assert.rejects(run("runuser", ["-u", user, "--", "cat", target]), /Permission denied/, target);
      }
      for (const dir of [rigd.rigDir, join(rigd.rigDir, "tmp"), logsDir]) {
        await assert.rejects(run("runuser", ["-u", user, "--", "ls", dir]), /Permission denied/, dir);
      }
      // Sanity: the user can run commands at all.
      assert.equal((await run("runuser", ["-u", user, "--", "id", "-un"])).stdout.trim(), user);
    } finally {
      await run("userdel", [user]).catch(() => {});
    }
  });
});

describe("RIG_DIR ownership and modes", { concurrency: false }, () => {
  /** Runs rigd on `rigDir` until it serves (then SIGTERM) or exits; resolves its exit code and stderr. */
  async function runRigd(rigDir: string, untilServing: boolean): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [RIGD_MAIN, "--rig-dir", rigDir, "--idle", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    if (untilServing) {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("serving on") && child.kill("SIGTERM"));
    }
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    return { code, stderr };
  }

  it("tightens a RIG_DIR that is open to others", async () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-sec-wide-"));
    try {
      mkdirSync(join(rigDir, "logs"));
      chmodSync(rigDir, 0o755);
      chmodSync(join(rigDir, "logs"), 0o777);
      assert.equal((await runRigd(rigDir, true)).code, 0);
      assert.equal(statSync(rigDir).mode & 0o777, 0o700);
      assert.equal(statSync(join(rigDir, "logs")).mode & 0o777, 0o700);
    } finally {
      rmSync(rigDir, { recursive: true, force: true });
    }
  });

  it("refuses to start in a RIG_DIR another user owns", { skip: IS_ROOT ? false : "needs root to chown to another user" }, async () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-sec-foreign-"));
    try {
      chownSync(rigDir, 65534, 65534); // nobody
      const { code, stderr } = await runRigd(rigDir, false);
      assert.equal(code, 1);
      assert.match(stderr, /cannot start: .* is owned by uid 65534, not by the user running rigd/);
      assert.equal(readdirSync(rigDir).length, 0, "nothing written into it");
    } finally {
      rmSync(rigDir, { recursive: true, force: true });
    }
  });
});

describe("unix socket", () => {
  it("serves on unix:PATH (0600) with the same token rule, for Connect and grpcurl", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rig-sec-sock-"));
    const socket = join(dir, "rigd.sock");
    const rigd = await startRigd(["--listen", `unix:${socket}`]);
    try {
      assert.equal(rigd.address, `unix:${socket}`);
      assert.equal(statSync(socket).mode & 0o777, 0o600);
      const nodeOptions = { createConnection: () => net.connect({ path: socket }) };
      const transport = (interceptors: Interceptor[]): Transport =>
        createGrpcTransport({ baseUrl: "http://localhost", nodeOptions, interceptors });
      assert.equal((await createClient(Health, transport([])).check({ service: "" })).status, ServingStatus.SERVING);
      await assert.rejects(
        createClient(EnvironmentService, transport([])).listEnvironments({}),
        (err: unknown) => ConnectError.from(err).code === Code.Unauthenticated,
      );
      assert.deepEqual((await createClient(EnvironmentService, transport([bearer(rigd.token)])).listEnvironments({})).environments, []);
      // Whatever a client makes of the socket path as :authority (grpc-python sends it
      // percent-encoded) is served, and never crashes rigd.
      const odd = await new Promise<number>((resolve, reject) => {
        const session = http2.connect("http://localhost", { createConnection: () => net.connect({ path: socket }) });
        session.on("error", reject);
        const stream = session.request({
          ":method": "POST",
          ":path": "/grpc.health.v1.Health/Check",
          ":authority": encodeURIComponent(socket.slice(1)),
          "content-type": "application/json",
        });
        stream.on("response", (h) => {
          resolve(Number(h[":status"]));
          session.close();
        });
        stream.on("error", reject);
        stream.end("{}");
      });
      assert.equal(odd, 200);
      assert.equal(rigd.child.exitCode, null, "rigd still runs");
      // An Origin is refused on the socket too.
      const viaCurl = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket, "-H", "origin: http://evil.example",
        "-H", "content-type: application/json", "-H", `authorization: Bearer ${rigd.token}`, "-d", "{}", "http://localhost/rig.v1.EnvironmentService/ListEnvironments"]);
      assert.equal(viaCurl.stdout, "403");
      if (GRPCURL) {
        const { stdout } = await run(GRPCURL, ["-plaintext", "-unix", "-H", `authorization: Bearer ${rigd.token}`, `unix://${socket}`, "list"]);
        assert.match(stdout, /rig\.v1\.EnvironmentService/);
        await assert.rejects(run(GRPCURL, ["-plaintext", "-unix", `unix://${socket}`, "list"]), /Unauthenticated/);
      }
    } finally {
      await rigd.stop();
      assert.equal(existsSync(socket), false, "socket removed on shutdown");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
