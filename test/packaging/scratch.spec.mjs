// Runs in a scratch project outside the repository, where @rig/client and @rig/server
// are installed from their packed tarballs (scripts/test-packages.sh): the SDK must find
// rigd through Node's module resolution of @rig/server and bring up a process service.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { execFileSync } from "node:child_process";
import { rig } from "@rig/client";
import { isolatedRigDir } from "@rig/client/testing";

let rigDir;
before(async () => {
  rigDir = await isolatedRigDir("rig-scratch-");
});
after(() => rigDir.dispose());

test("a process service comes up from the installed packages", async (t) => {
  const env = await rig.up(t, {
    web: rig.process(process.execPath, "-e", "require('node:http').createServer((q, s) => s.end('hello from ' + process.env.RIG_SERVICE)).listen(+process.env.PORT, process.env.HOST)"),
  });
  const res = await fetch(env.url("web"));
  assert.equal(await res.text(), "hello from web");
  const ps = execFileSync("npx", ["--no-install", "rig", "ps"], { env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
  assert.match(ps, new RegExp(`${env.id} .* up`));
  assert.match(ps, /web +process +ready/);
});

test("rig ls lists the finished run", () => {
  const ls = execFileSync("npx", ["--no-install", "rig", "ls", "-n", "1"], { env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
  assert.match(ls, /passed .* a-process-service-comes-up/);
});
