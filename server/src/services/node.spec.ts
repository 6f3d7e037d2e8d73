/**
 * The `node` type through a real rigd: a TypeScript server run directly with Node's type
 * stripping in two parallel environments, each its own process with its own wiring,
 * gone at release; a build command run once for parallel environments, skipped while
 * the package is unchanged, run again after an edit, its output in the failure when it
 * fails; bad specs refused with what to do.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { NodeConfigSchema, ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { payloadOf, upEnvironment } from "../testing/environment-events.js";
import { collectEvents, eventually, leftoverTempDirs, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const work = mkdtempSync(join(tmpdir(), "rig-node-spec-"));
const pkg = join(work, "pkg");
/** Written outside the package, so counting builds does not change what is hashed. */
const buildLog = join(work, "builds.log");
let rigd: Rigd;

/** A TypeScript HTTP server: types, an interface, `satisfies`: all stripped by Node. */
const SERVER_TS = `import { createServer } from "node:http";
interface Reply { readonly message: string; readonly envDir: string }
const port: number = Number(process.env["PORT"]);
createServer((_req, res) => {
  const reply = { message: "typed", envDir: process.env["RIG_ENV_DIR"] ?? "" } satisfies Reply;
  res.end(JSON.stringify(reply));
}).listen(port, "127.0.0.1");
`;

/** The "compiler": writes dist/server.mjs serving the text of src/message.txt; logs each run. */
const BUILD_MJS = `import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
appendFileSync(${JSON.stringify(buildLog)}, "build\\n");
const message = readFileSync("src/message.txt", "utf8").trim();
if (message === "fail") { console.error("src/message.txt:1: error: the message may not be fail"); process.exit(2); }
mkdirSync("dist", { recursive: true });
writeFileSync("dist/server.mjs", \`import { createServer } from "node:http";
createServer((_q, s) => s.end(\${JSON.stringify(message)})).listen(Number(process.env.PORT), "127.0.0.1");\`);
`;

function writeMessage(text: string): void {
  writeFileSync(join(pkg, "src", "message.txt"), text);
}

function builds(): number {
  return existsSync(buildLog) ? readFileSync(buildLog, "utf8").split("\n").filter(Boolean).length : 0;
}

type NodeInit = Omit<MessageInitShape<typeof NodeConfigSchema>, "$typeName">;

function nodeService(name: string, config: NodeInit): ServiceInit {
  return { name, config: { case: "node", value: { dir: pkg, args: [rigd.marker], ...config } } };
}

const built = (name: string): ServiceInit => nodeService(name, { script: "dist/server.mjs", build: [process.execPath, "build.mjs"] });

async function destroyAll(ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((environmentId) => rigd.client.destroyEnvironment({ environmentId })));
  await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "node services to exit");
  await eventually(() => leftoverTempDirs(rigd.rigDir).length === 0, 10_000, "temp dirs to be removed");
}

before(async () => {
  mkdirSync(join(pkg, "src"), { recursive: true });
  writeFileSync(join(pkg, "src", "server.ts"), SERVER_TS);
  writeFileSync(join(pkg, "build.mjs"), BUILD_MJS);
  writeMessage("built v1");
  rigd = await startRigd();
});

after(async () => {
  await rigd.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("node type", () => {
  it("runs TypeScript directly in two parallel environments, each its own server, stopped at release", async () => {
    const ts = (env: string) => upEnvironment(rigd, spec({ name: env, services: [nodeService("api", { script: "src/server.ts" })] }));
    const [a, b] = await Promise.all([ts("node-a"), ts("node-b")]);
    const [fromA, fromB] = await Promise.all([a, b].map(async (env) => (await fetch(env.url("api"))).json() as Promise<{ message: string; envDir: string }>));
    assert.equal(fromA?.message, "typed");
    assert.equal(fromB?.message, "typed");
    assert.notEqual(fromA?.envDir, fromB?.envDir, "each environment's server has its own wiring");
    assert.equal(processesWith(rigd.marker).length, 2);
    await destroyAll([a.id, b.id]);
  });

  it("builds once for parallel environments, skips an unchanged package, rebuilds after an edit", async () => {
    const up = (env: string) => upEnvironment(rigd, spec({ name: env, services: [built("web")] }));
    const [a, b] = await Promise.all([up("build-a"), up("build-b")]);
    assert.equal(await (await fetch(a.url("web"))).text(), "built v1");
    assert.equal(builds(), 1, "one build for two environments");
    const same = await up("build-same");
    assert.equal(builds(), 1, "unchanged package: no build");
    assert.equal(payloadOf(same.events, "artifactCached").detail, "files unchanged since the last successful build");
    writeMessage("built v2");
    const edited = await up("build-edited");
    assert.equal(await (await fetch(edited.url("web"))).text(), "built v2");
    assert.equal(builds(), 2, "an edit: one more build");
    await destroyAll([a.id, b.id, same.id, edited.id]);
  });

  it("fails with the build's output when the build fails", async () => {
    writeMessage("fail");
    try {
      const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name: "build-fails", services: [built("web")] }) });
      const down = payloadOf(await collectEvents(rigd, id, (e) => e.type === "environment.down"), "environmentDown");
      assert.equal(down.failedService, "web");
      assert.match(down.summary, /build `.* build\.mjs` in .* failed \(exit 2\)/);
      assert.match(down.summary, /src\/message\.txt:1: error: the message may not be fail/);
      await destroyAll([id]);
    } finally {
      writeMessage("built v2");
    }
  });

  it("refuses bad scripts and options with what to do, and names a missing script", async () => {
    const refused = async (config: NodeInit): Promise<string> => {
      const err = await rigd.client.createEnvironment({ spec: spec({ name: "node-bad", services: [nodeService("api", config)] }) }).then(
        () => assert.fail("expected INVALID_ARGUMENT"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument, err.message);
      return err.rawMessage;
    };
    assert.match(await refused({ script: "" }), /node\.script is required/);
    assert.match(await refused({ script: "server.py" }), /not a JavaScript or TypeScript file/);
    assert.match(await refused({ script: "a.ts", nodeOptions: ["inspect"] }), /node option "inspect" is not an option/);
    const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name: "node-missing", services: [nodeService("api", { script: "src/nope.ts" })] }) });
    const down = payloadOf(await collectEvents(rigd, id, (e) => e.type === "environment.down"), "environmentDown");
    assert.match(down.summary, /node script src\/nope\.ts not found in .*pkg/);
    await destroyAll([id]);
  });
});
