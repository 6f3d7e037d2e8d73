// Runs under vitest in the scratch project of scripts/test-packages.sh, where @rig/client
// and @rig/server are installed from their packed tarballs: rig.up(ctx, ...) with vitest's
// test context brings an environment up and tears it down when the test finishes.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { rig } from "@rig/client";
import { isolatedRigDir } from "@rig/client/testing";

let rigDir;
beforeAll(async () => {
  rigDir = await isolatedRigDir("rig-scratch-vitest-");
});
afterAll(() => rigDir.dispose());

test("rig.up(ctx) under vitest, from the installed packages", { timeout: 60_000 }, async (ctx) => {
  const env = await rig.up(ctx, {
    web: rig.process(process.execPath, "-e", "require('node:http').createServer((q, s) => s.end('hello from ' + process.env.RIG_SERVICE)).listen(+process.env.PORT, process.env.HOST)"),
  });
  const res = await fetch(env.url("web"));
  expect(await res.text()).toBe("hello from web");
});

test("the environment of the previous test was torn down when it finished", () => {
  const ls = execFileSync("npx", ["--no-install", "rig", "ls", "-n", "1"], { env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" });
  expect(ls).toMatch(/passed .* rig-up-ctx-under-vitest/);
});
