/**
 * The `go` type through a real rigd and the real Go toolchain: a fixture module built
 * and served; two parallel environments share one build (a `go` wrapper on the test's
 * PATH counts compiler runs); a source change rebuilds, an unchanged tree does not,
 * across rigds too (the cache is on disk); a compile error fails the environment with
 * the compiler's lines; bad specs are refused with what to do; nothing is left running.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { eventually, leftoverTempDirs, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { payloadOf, upEnvironment } from "../testing/environment-events.js";
import { collectEvents } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const work = mkdtempSync(join(tmpdir(), "rig-go-spec-"));
const moduleDir = join(work, "hello");
const calls = join(work, "go-calls.log");
let rigd: Rigd;

/** Writes the fixture module: an HTTP server on $PORT answering `<message> <RIG_ENV_DIR>`. */
function writeModule(message: string, extra = ""): void {
  mkdirSync(join(moduleDir, "cmd", "api"), { recursive: true });
  writeFileSync(join(moduleDir, "go.mod"), "module example.com/hello\n\ngo 1.21\n");
  writeFileSync(
    join(moduleDir, "cmd", "api", "main.go"),
    `package main

import (
	"fmt"
	"net/http"
	"os"
)

const message = ${JSON.stringify(message)}

func main() {
	${extra}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", message, os.Getenv("RIG_ENV_DIR"))
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`,
  );
}

/** A `go` on the test's PATH that logs each run and runs the real one. */
function goWrapper(): string {
  const real = execFileSync("sh", ["-c", "command -v go"], { encoding: "utf8" }).trim();
  const bin = join(work, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "go"), `#!/bin/sh\necho "$*" >> ${calls}\nexec ${real} "$@"\n`);
  chmodSync(join(bin, "go"), 0o755);
  return bin;
}

/** `go build` runs so far (the wrapper also sees `go env GOVERSION`). */
function builds(): number {
  return existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter((l) => l.startsWith("build ")).length : 0;
}

let hostEnv: Record<string, string>;

function goService(name: string, more: Partial<{ package: string; buildFlags: string[] }> = {}): ServiceInit {
  return {
    name,
    config: { case: "go", value: { package: "./cmd/api", dir: moduleDir, args: [rigd.marker], ...more } },
  };
}

function goSpec(name: string, services: ServiceInit[]) {
  return spec({ name, services, hostEnv, dir: work });
}

async function text(url: string): Promise<string> {
  return (await fetch(url)).text();
}

async function destroyAll(ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((environmentId) => rigd.client.destroyEnvironment({ environmentId })));
  await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "go programs to exit");
  await eventually(() => leftoverTempDirs(rigd.rigDir).length === 0, 10_000, "temp dirs to be removed");
}

/** Cache entries (and unfinished builds, which must never stay). */
function cacheEntries(dir = rigd.rigDir): string[] {
  const root = join(dir, "cache", "go");
  return existsSync(root) ? readdirSync(root) : [];
}

before(async () => {
  hostEnv = { ...(process.env as Record<string, string>), PATH: `${goWrapper()}:${process.env["PATH"]}` };
  writeModule("hello v1");
  rigd = await startRigd();
});

after(async () => {
  await rigd.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("go type", () => {
  it("builds once for two parallel environments, each serving its own program, and stops them at release", async () => {
    const [a, b] = await Promise.all([upEnvironment(rigd, goSpec("go-a", [goService("api")])), upEnvironment(rigd, goSpec("go-b", [goService("api")]))]);
    const [fromA, fromB] = await Promise.all([text(a.url("api")), text(b.url("api"))]);
    assert.match(fromA, /^hello v1 /);
    assert.match(fromB, /^hello v1 /);
    assert.notEqual(fromA, fromB, "each environment runs its own program with its own wiring");
    assert.notEqual(a.url("api"), b.url("api"));
    assert.equal(builds(), 1, "one compiler run for two environments");
    const kinds = [a, b].map((env) => env.events.find((e) => e.type.startsWith("artifact.") && e.type !== "artifact.started")?.type).sort();
    assert.deepEqual(kinds, ["artifact.cached", "artifact.completed"]);
    assert.equal(processesWith(rigd.marker).length, 2);
    await destroyAll([a.id, b.id]);
    assert.deepEqual(cacheEntries().filter((e) => e.startsWith(".")), [], "no unfinished build left");
  });

  it("rebuilds after a source change, not before, and a new rigd on the same RIG_DIR uses the cache", async () => {
    const before = builds();
    const same = await upEnvironment(rigd, goSpec("go-same", [goService("api")]));
    assert.equal(builds(), before, "unchanged sources: no build");
    assert.match(payloadOf(same.events, "artifactCached").detail, /built earlier \(RIG_DIR\/cache\/go\/[0-9a-f]+\)/);
    writeModule("hello v2");
    const changed = await upEnvironment(rigd, goSpec("go-changed", [goService("api")]));
    assert.match(await text(changed.url("api")), /^hello v2 /);
    assert.equal(builds(), before + 1, "changed sources: one build");
    await destroyAll([same.id, changed.id]);

    const second = await startRigd([], { rigDir: rigd.rigDir });
    try {
      const again = await upEnvironment(second, goSpec("go-again", [goService("api")]));
      assert.match(await text(again.url("api")), /^hello v2 /);
      assert.equal(builds(), before + 1, "the disk cache outlives the rigd");
      await second.client.destroyEnvironment({ environmentId: again.id });
    } finally {
      await second.stop({ keepDir: true });
    }
  });

  it("fails with the compiler's lines when the program does not compile", async () => {
    writeModule("broken", "undefinedThing()");
    try {
      const { environmentId: id } = await rigd.client.createEnvironment({ spec: goSpec("go-broken", [goService("api")]) });
      const events = await collectEvents(rigd, id, (e) => e.type === "environment.down");
      const down = payloadOf(events, "environmentDown");
      assert.equal(down.failedService, "api");
      assert.match(down.summary, /go build \.\/cmd\/api in .* failed \(exit 1\)/);
      assert.match(down.summary, /main\.go:\d+:\d+: undefined: undefinedThing/);
      assert.match(payloadOf(events, "artifactFailed").error, /undefined: undefinedThing/);
      await destroyAll([id]);
      assert.deepEqual(cacheEntries().filter((e) => e.startsWith(".")), [], "a failed build leaves no temp dir");
    } finally {
      writeModule("hello v2");
    }
  });

  it("refuses bad packages and flags with what to do", async () => {
    const refused = async (service: ServiceInit): Promise<string> => {
      const err = await rigd.client.createEnvironment({ spec: goSpec("go-bad", [service]) }).then(
        () => assert.fail("expected INVALID_ARGUMENT"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument, err.message);
      return err.rawMessage;
    };
    assert.match(await refused(goService("api", { package: "" })), /go\.package is required/);
    assert.match(await refused(goService("api", { package: "example.com/x/cmd/y@latest" })), /pin a version \(@v1\.2\.3\), not "@latest"/);
    assert.match(await refused(goService("api", { package: "cmd/api" })), /neither a local path \(start it with \.\/\)/);
    assert.match(await refused(goService("api", { buildFlags: ["-o", "x"] })), /-o is rig's to choose/);
    assert.match(await refused(goService("api", { buildFlags: ["tags"] })), /build flag "tags" is not a flag/);
  });

  it("says where it looked when the package directory or go.mod is missing", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({ spec: goSpec("go-missing", [goService("api", { package: "./cmd/nope" })]) });
    const down = payloadOf(await collectEvents(rigd, id, (e) => e.type === "environment.down"), "environmentDown");
    assert.match(down.summary, /go package \.\/cmd\/nope: no directory .*cmd\/nope/);
    await destroyAll([id]);
  });
});
