/**
 * The dashboard's routes over a real socket: the app and nothing outside it, recorded
 * runs only with the token, everything else to the API handler.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { withUi } from "./ui-routes.js";

let dir: string;
let server: Server;
let base: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rig-ui-routes-"));
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app", "index.html"), "<!doctype html>app");
  writeFileSync(join(dir, "secret.txt"), "outside the app");
  mkdirSync(join(dir, "logs", "run-1"), { recursive: true });
  writeFileSync(join(dir, "logs", "run-1", "events.jsonl"), '{"seq":"1"}\n');
  const api = withUi((_req, res) => res.end("api"), {
    appDir: join(dir, "app"),
    logsDir: join(dir, "logs"),
    authorized: (h) => h === "Bearer good",
  });
  server = createServer(api);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("serves the app, with a strict content security policy", async () => {
  const res = await fetch(`${base}/ui/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /text\/html/);
  assert.match(res.headers.get("content-security-policy")!, /default-src 'self'/);
  assert.equal(await res.text(), "<!doctype html>app");
  const bare = await fetch(`${base}/ui`, { redirect: "manual" });
  assert.equal(bare.status, 308);
});

test("never a file outside the app", async () => {
  for (const path of ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt", "/ui/missing.js"]) {
    const res = await fetch(`${base}${path}`);
    assert.notEqual(await res.text(), "outside the app", path);
  }
});

test("recorded runs need the token", async () => {
  assert.equal((await fetch(`${base}/ui/runs`)).status, 401);
  assert.equal((await fetch(`${base}/ui/runs/run-1/events.jsonl`, { headers: { authorization: "Bearer bad" } })).status, 401);
  const list = await fetch(`${base}/ui/runs`, { headers: { authorization: "Bearer good" } });
  assert.deepEqual((await list.json() as { id: string }[]).map((r) => r.id), ["run-1"]);
  const run = await fetch(`${base}/ui/runs/run-1/events.jsonl`, { headers: { authorization: "Bearer good" } });
  assert.equal(await run.text(), '{"seq":"1"}\n');
  assert.equal((await fetch(`${base}/ui/runs/..%2f..%2fsecret/events.jsonl`, { headers: { authorization: "Bearer good" } })).status, 404);
});

test("only GET; every other path is the API's", async () => {
  assert.equal((await fetch(`${base}/ui/`, { method: "POST" })).status, 405);
  assert.equal(await (await fetch(`${base}/rig.v1.EnvironmentService/ListEnvironments`, { method: "POST" })).text(), "api");
  assert.equal(await (await fetch(`${base}/uix`)).text(), "api");
});
