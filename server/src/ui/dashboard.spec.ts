/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a
 * real rigd running real environments: the list follows environments up and down, the
 * graph shows services and edges, a request made here shows in the traffic table within
 * a second with its decoded body, a failed environment opens on its failing service and
 * stderr, and a recorded run replays to the same final state. Screenshots of each view go
 * to `test-artifacts/ui/` (gitignored), or `RIG_UI_ARTIFACTS`.
 *
 * Skipped when /usr/bin/chromium is missing, unless RIG_REQUIRE_BROWSER=1 (scripts/test.sh).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import type { Event as RigEvent } from "../gen/rig/v1/event_pb.js";
import { FIXTURES, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { syntheticRun } from "./testing/synthetic-run.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const CHAIN = join(FIXTURES, "chain-server.js");
const RIG_CLI = join(here, "..", "cli", "rig.js");
const ARTIFACTS = process.env.RIG_UI_ARTIFACTS ?? join(here, "..", "..", "..", "test-artifacts", "ui");
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && process.env.RIG_REQUIRE_BROWSER === "1") throw new Error(`${CHROMIUM} is missing (apt-get install chromium; scripts/setup.sh does)`);

// Functions passed to page.evaluate run in the browser; server/ has no DOM types.
interface PageElement {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  value: string;
  dispatchEvent(event: unknown): boolean;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
  querySelector(selector: string): PageElement | null;
};
declare const window: { rigView: { model: { traffic: unknown[] } } };

let rigd: Rigd;
let browser: BrowserContext;
let page: Page;
let profile: string;

before(async () => {
  if (!hasBrowser) return;
  // The app is built at package time; build it here too so the test sees this checkout's source.
  execFileSync(process.execPath, [join(here, "..", "..", "ui", "build-ui.mjs"), "--no-check"], { stdio: "ignore" });
  mkdirSync(ARTIFACTS, { recursive: true });
  rigd = await startRigd(["--orphan-grace", "2m"]);
  profile = mkdtempSync(join(tmpdir(), "rig-ui-chromium-"));
  // A fresh profile each run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1200, height: 760 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (err) => console.error("page error:", err));
});

after(async () => {
  if (!hasBrowser) return;
  await browser?.close();
  await rigd?.stop();
  rmSync(profile, { recursive: true, force: true });
  assert.deepEqual(processesWith(rigd.marker), [], "service processes left behind");
});

function chain(name: string, next?: string, extra: string[] = []) {
  return {
    name,
    egresses: next ? [{ name: "next", service: next }] : [],
    config: { case: "process" as const, value: { command: process.execPath, args: [CHAIN, rigd.marker, ...extra] } },
  };
}

/** Creates an environment and returns its id and, once up, the test's endpoint of `web`. */
async function up(name: string, services: ReturnType<typeof chain>[]): Promise<{ id: string; events: RigEvent[]; web?: string }> {
  const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name, observe: true, services }) });
  const events: RigEvent[] = [];
  for await (const res of rigd.client.watchEvents({ environmentId: id })) {
    const e = res.event!;
    events.push(e);
    if (e.payload.case === "environmentUp") {
      const ep = e.payload.value.services["web"]?.ingresses["default"];
      return { id, events, web: ep ? `http://${ep.host}:${ep.port}` : undefined };
    }
    if (e.payload.case === "environmentDown") break;
  }
  return { id, events };
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The graph as the page draws it: node -> phase, and the edges. */
async function graphState(): Promise<{ nodes: Record<string, string>; edges: string[] }> {
  return page.evaluate(() => {
    const nodes: Record<string, string> = {};
    for (const n of document.querySelectorAll("svg.graph .node")) {
      nodes[n.getAttribute("data-service")!] = /phase-(\w+)/.exec(n.getAttribute("class")!)![1]!;
    }
    const edges = [...document.querySelectorAll("svg.graph .edge")].map((e) => e.getAttribute("data-edge")!).sort();
    return { nodes, edges };
  });
}

let passedId = "";
let liveFinal: { nodes: Record<string, string>; edges: string[]; traffic: number } | undefined;

test("the dashboard: list, graph, traffic with decoded bodies, timeline, logs, live", { skip: !hasBrowser && "no /usr/bin/chromium" }, async () => {
  // The app itself holds no data; the data needs the token.
  const noToken = await fetch(`http://${rigd.address}/ui/runs`);
  assert.equal(noToken.status, 401);

  await page.goto(`http://${rigd.address}/ui/#token=${rigd.token}`);
  assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");
  await page.waitForSelector("table.envs");

  const env = await up("UiChain", [chain("web", "db"), chain("db")]);
  passedId = env.id;
  assert.ok(env.web, "environment.up with web's endpoint");
  // The list follows it: up.
  await page.waitForSelector(`tr[data-env="${env.id}"][data-outcome="up"]`, { timeout: 5000 });
  await shot("environments");

  await page.click(`tr[data-env="${env.id}"] a`);
  await page.waitForSelector('svg.graph .node[data-service="db"]');
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node.phase-ready").length === 3);
  const graph = await graphState();
  assert.deepEqual(graph.nodes, { db: "ready", web: "ready", "~test": "ready" });
  assert.deepEqual(graph.edges, ["web->db", "~test->db", "~test->web"]);
  await page.click('svg.graph .node[data-service="web"]');
  await page.waitForSelector('.service-detail[data-detail="web"]');
  const detail = await page.textContent(".service-detail");
  assert.match(detail!, /egresses.*next/s);
  await shot("graph");

  await page.click('button[data-tab="traffic"]');
  await page.waitForSelector(".traffic");
  const sent = Date.now();
  const res = await fetch(env.web!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ order: 42, items: ["tea"] }) });
  assert.equal(await res.text(), "web>db");
  const row = await page.waitForSelector(".traffic-rows .row:has-text('POST /')", { timeout: 3000 });
  const seenMs = Date.now() - sent;
  console.log(`traffic row drawn ${seenMs} ms after the request was sent`);
  assert.ok(seenMs < 1000, `the request showed after ${seenMs} ms`);
  await row.click();
  await page.waitForSelector(".traffic-detail .request-body");
  const body = await page.textContent(".traffic-detail .request-body");
  assert.match(body!, /"order": 42,\n\s+"items": \[/, "request body pretty-printed");
  assert.equal(await page.textContent(".traffic-detail .response-body"), "web>db");
  // The nested call web -> db is there too, and the filter narrows to it.
  await page.fill('input[name="edge"]', "web->db");
  await page.waitForFunction(() => [...document.querySelectorAll(".traffic-rows .row")].every((r) => r.textContent!.includes("web→db")));
  await page.fill('input[name="edge"]', "");
  await shot("traffic");

  await page.click('button[data-tab="timeline"]');
  await page.waitForSelector('.tl-row[data-service="web"] .bar.phase-ready');
  assert.ok(await page.$(".tl-marker.kind-up"), "environment.up is marked");
  await shot("timeline");

  await page.click('button[data-tab="logs"]');
  await page.waitForSelector(".logs");
  await page.click('button[data-tab="graph"]');
  const liveTraffic = await page.evaluate(() => window.rigView.model.traffic.length);

  // Down: the live view follows to the end, and the list shows it gone.
  await rigd.client.destroyEnvironment({ environmentId: env.id });
  await page.waitForSelector('.badge[data-outcome="passed"]', { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node.phase-stopped").length === 3);
  liveFinal = { ...(await graphState()), traffic: liveTraffic };
  await page.goto(`http://${rigd.address}/ui/#/`);
  await page.waitForSelector(`tr[data-env="${env.id}"][data-outcome="down"], tr[data-env="${env.id}"][data-outcome="passed"]`, { timeout: 5000 }).catch(async () => {
    // A page opened after the environment went carries no memory of it; recorded runs list it.
    await page.waitForSelector(`li[data-run="${env.id}"]`, { timeout: 5000 });
  });
});

test("a failed environment opens on its failing service and stderr", { skip: !hasBrowser && "no /usr/bin/chromium" }, async () => {
  await page.goto(`http://${rigd.address}/ui/#/`);
  await page.waitForSelector("table.envs");
  const env = await up("UiCrash", [chain("web", "db"), chain("db", undefined, ["--fail-start", "3"])]);
  await page.goto(`http://${rigd.address}/ui/#/env/${env.id}`);
  await page.waitForSelector(".diagnosis .failed-service", { timeout: 10_000 });
  assert.equal(await page.textContent(".diagnosis .failed-service"), "db");
  await page.waitForFunction(() => document.querySelector(".diagnosis .stderr")?.textContent?.includes("fatal: cannot open config file"), undefined, { timeout: 10_000 });
  assert.match((await page.textContent(".diagnosis .failure"))!, /exit|code 3|exited/i);
  await shot("failed");
  await rigd.client.destroyEnvironment({ environmentId: env.id }).catch(() => {});
});

test("a recorded run replays to the same final state, from rigd and from a file", { skip: !hasBrowser && "no /usr/bin/chromium" }, async () => {
  assert.ok(liveFinal, "the live test ran first");
  const file = join(rigd.rigDir, "logs", passedId, "events.jsonl");
  const lines = readFileSync(file, "utf8").trim().split("\n").length;
  // `rig ui RUN` hands over the URL of the recorded run (the environment is gone from rigd).
  const rig = spawnSync(process.execPath, [RIG_CLI, "ui", "UiChain", "--no-open"], {
    encoding: "utf8",
    env: { ...process.env, RIG_DIR: rigd.rigDir, RIG_SERVER: rigd.address, RIG_TOKEN: rigd.token },
  });
  assert.equal(rig.status, 0, rig.stderr);
  const url = rig.stdout.trim();
  assert.equal(url, `http://${rigd.address}/ui/#token=${rigd.token}&route=${encodeURIComponent(`/run/${passedId}`)}`);
  await page.goto(url);
  await page.waitForSelector(`.position[data-index="${lines}"]`);
  await page.waitForSelector('svg.graph .node[data-service="web"]');
  const replayed = await graphState();
  const traffic = await page.evaluate(() => window.rigView.model.traffic.length);
  assert.deepEqual({ ...replayed, traffic }, liveFinal);

  // Scrub back to the middle: fewer events applied, then to the end again: the same.
  await page.$eval('input[name="scrub"]', (el, n) => {
    (el as unknown as PageElement).value = String(n);
    el.dispatchEvent(new Event("input"));
  }, Math.floor(lines / 2));
  await page.waitForSelector(`.position[data-index="${Math.floor(lines / 2)}"]`);
  await shot("replay-middle");
  await page.$eval('input[name="scrub"]', (el, n) => {
    (el as unknown as PageElement).value = String(n);
    el.dispatchEvent(new Event("input"));
  }, lines);
  await page.waitForSelector(`.position[data-index="${lines}"]`);
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node.phase-stopped").length === 3);
  assert.deepEqual(await graphState(), { nodes: liveFinal.nodes, edges: liveFinal.edges });

  // The same run opened as a file (a CI artifact) on the list page.
  await page.goto(`http://${rigd.address}/ui/#/`);
  await page.setInputFiles('input[name="events-file"]', file);
  await page.waitForSelector(`.position[data-index="${lines}"]`);
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node.phase-stopped").length === 3);
  assert.deepEqual(await graphState(), { nodes: liveFinal.nodes, edges: liveFinal.edges });
  await shot("replay");
});

test("a run of 50 services and 20,000 events loads in pages: every node drawn, lists virtualised", { skip: !hasBrowser && "no /usr/bin/chromium" }, async () => {
  const events = 20_000;
  const dir = join(rigd.rigDir, "logs", "big-run");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "events.jsonl"), syntheticRun("big-run", 50, events));
  await page.goto(`http://${rigd.address}/ui/#token=${rigd.token}&route=${encodeURIComponent("/run/big-run")}`);
  await page.waitForSelector(`.position[data-loaded="true"][data-index="${events}"]`, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node").length === 50);
  assert.equal((await graphState()).edges.length, 49, "the chain's 49 edges");
  await shot("replay-50-services");
  await page.click('button[data-tab="traffic"]');
  await page.waitForSelector(".traffic-rows .row");
  const traffic = await page.evaluate(() => ({ kept: window.rigView.model.traffic.length, rows: document.querySelectorAll(".traffic-rows .row").length }));
  assert.ok(traffic.kept > 9_000, `every call is in the model (${traffic.kept})`);
  assert.ok(traffic.rows < 200, `only the rows in view are drawn (${traffic.rows} of ${traffic.kept})`);
  await page.click('button[data-tab="logs"]');
  await page.waitForSelector(".log-rows .row");
  assert.ok((await page.evaluate(() => document.querySelectorAll(".log-rows .row").length)) < 200);
});
