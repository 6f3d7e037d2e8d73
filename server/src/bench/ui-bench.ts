/**
 * Dashboard figures (printed, never asserted), in Debian's chromium against a real rigd:
 *   - environment.up to the page drawing it (event time to the first frame showing it), live;
 *   - loading and drawing a recorded run of 100,000 events (replay from rigd, loaded in
 *     pages), the longest the page's main thread was busy at once while it loaded, and the
 *     page's JS heap after it; the same for a run of 50 services;
 *   - the JS heap while following a busy environment (N requests through its proxy),
 *     sampled at each third: it stays flat once the page keeps only its live tail
 *     (10,000 calls, 20,000 lines), which is what an hour of a busy environment needs.
 *   node server/dist/bench/ui-bench.js [--events 100000] [--requests 30000]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { FIXTURES, spec, startRigd } from "../testing/rigd-harness.js";
import { syntheticRun } from "../ui/testing/synthetic-run.js";

declare const window: { rigView: { upDrawnMs?: number; model: { applied: number } }; longestTaskMs: number };
declare class PerformanceObserver {
  constructor(callback: (list: { getEntries(): { duration: number }[] }) => void);
  observe(options: { type: string; buffered?: boolean }): void;
}
declare const document: { querySelectorAll(s: string): { length: number } };

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { events: { type: "string", default: "100000" }, requests: { type: "string", default: "30000" }, runs: { type: "string", default: "5" } } });
const EVENTS = Number(values.events);
const REQUESTS = Number(values.requests);
const RUNS = Number(values.runs);

execFileSync(process.execPath, [join(here, "..", "..", "ui", "build-ui.mjs"), "--no-check"], { stdio: "ignore" });
const rigd = await startRigd(["--orphan-grace", "5m"]);
const profile = mkdtempSync(join(tmpdir(), "rig-ui-bench-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 760 },
});
const page = browser.pages()[0] ?? (await browser.newPage());
page.setDefaultTimeout(120_000);
const cdp = await browser.newCDPSession(page);
const heapMiB = async (): Promise<string> => {
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number };
  return (usedSize / 1024 / 1024).toFixed(1);
};
const chain = (name: string, next?: string) => ({
  name,
  egresses: next ? [{ name: "next", service: next }] : [],
  config: { case: "process" as const, value: { command: process.execPath, args: [join(FIXTURES, "chain-server.js"), rigd.marker] } },
});

/** Records the longest task (>50 ms, the browser's long-task threshold) of the page from now on. */
async function watchLongTasks(): Promise<void> {
  await page.evaluate(() => {
    window.longestTaskMs = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longestTaskMs = Math.max(window.longestTaskMs, Math.round(e.duration));
    }).observe({ type: "longtask" });
  });
}

try {
  await page.goto(`http://${rigd.address}/ui/#token=${rigd.token}`);
  // 1. environment.up -> drawn, with the page already following the environment.
  const upDrawn: number[] = [];
  let busyId = "";
  for (let i = 0; i < RUNS; i++) {
    const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name: `UiBench${i}`, observe: true, services: [chain("web", "db"), chain("db")] }) });
    await page.goto(`http://${rigd.address}/ui/#/env/${id}`);
    await page.waitForFunction(() => window.rigView?.upDrawnMs !== undefined);
    upDrawn.push(await page.evaluate(() => window.rigView.upDrawnMs!));
    if (i < RUNS - 1) await rigd.client.destroyEnvironment({ environmentId: id });
    else busyId = id;
  }
  upDrawn.sort((a, b) => a - b);
  console.log(`environment.up -> node drawn (page following the environment, ${RUNS} runs): median ${upDrawn[Math.floor(RUNS / 2)]} ms, max ${upDrawn.at(-1)} ms (includes opening the stream for a page opened after create)`);

  // 2. Following a busy environment: REQUESTS requests through its proxy, on the traffic tab.
  const before = await heapMiB();
  const env = await rigd.client.getEnvironment({ environmentId: busyId });
  const test = env.environment!.services.find((s) => s.name === "~test")!;
  const web = test.egresses["web"]!;
  await page.click('button[data-tab="traffic"]');
  const started = Date.now();
  const samples: string[] = [];
  const baseline = await page.evaluate(() => window.rigView.model.applied);
  for (let third = 1; third <= 3; third++) {
    for (let i = 0; i < REQUESTS / 3; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => fetch(`http://${web.host}:${web.port}/`, { method: "POST", body: JSON.stringify({ i }) }).then((r) => r.text())));
    }
    await page.waitForFunction((n) => window.rigView.model.applied >= n, baseline + Math.floor((REQUESTS * third) / 3) * 2);
    samples.push(`${Math.floor((REQUESTS * third) / 3)} requests: ${await heapMiB()} MiB`);
  }
  console.log(`busy environment: ${REQUESTS} requests (${REQUESTS * 2} traffic events) followed in ${Date.now() - started} ms; page heap ${before} MiB before, then ${samples.join(", ")}`);
  await rigd.client.destroyEnvironment({ environmentId: busyId });

  // 3. A recorded run of EVENTS events: a real run's log, its traffic and output repeated.
  const runs = join(rigd.rigDir, "logs");
  const source = readFileSync(join(runs, busyId, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const head = source.filter((e) => !["request.completed", "service.log", "environment.destroying", "service.stopping", "service.stopped", "environment.down"].includes(e.type as string));
  const body = source.filter((e) => e.type === "request.completed" || e.type === "service.log");
  const tail = source.filter((e) => ["environment.destroying", "service.stopping", "service.stopped", "environment.down"].includes(e.type as string));
  const lines: string[] = [];
  let seq = 0;
  const t0 = Date.parse(head[0]!.time as string);
  const push = (e: Record<string, unknown>): void => {
    seq++;
    lines.push(JSON.stringify({ ...e, seq: String(seq), environmentId: "bench-100k", time: new Date(t0 + seq).toISOString() }));
  };
  head.forEach(push);
  for (let i = 0; lines.length < EVENTS - tail.length; i++) push(body[i % body.length]!);
  tail.forEach(push);
  mkdirSync(join(runs, "bench-100k"), { recursive: true });
  writeFileSync(join(runs, "bench-100k", "events.jsonl"), `${lines.join("\n")}\n`);
  await page.goto(`http://${rigd.address}/ui/#/`);
  const t = Date.now();
  await page.goto(`http://${rigd.address}/ui/#/run/bench-100k`);
  await watchLongTasks();
  await page.waitForSelector(`.position[data-loaded="true"][data-index="${lines.length}"]`);
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node").length === 3);
  const loaded = Date.now() - t;
  const longest = await page.evaluate(() => window.longestTaskMs);
  const t2 = Date.now();
  await page.click('button[data-tab="traffic"]');
  await page.waitForSelector(".traffic-rows .row");
  const trafficMs = Date.now() - t2;
  const t3 = Date.now();
  await page.click('button[data-tab="logs"]');
  await page.waitForSelector(".log-rows .row");
  console.log(`recorded run of ${lines.length} events: loaded and graph drawn in ${loaded} ms (longest main-thread task ${longest} ms); traffic tab ${trafficMs} ms; logs tab ${Date.now() - t3} ms; page heap ${await heapMiB()} MiB`);

  // 4. A recorded run of 50 services (a chain) and EVENTS events.
  mkdirSync(join(runs, "bench-50"), { recursive: true });
  writeFileSync(join(runs, "bench-50", "events.jsonl"), syntheticRun("bench-50", 50, EVENTS));
  await page.goto(`http://${rigd.address}/ui/#/`);
  const t4 = Date.now();
  await page.goto(`http://${rigd.address}/ui/#/run/bench-50`);
  await watchLongTasks();
  await page.waitForSelector(`.position[data-loaded="true"][data-index="${EVENTS}"]`);
  await page.waitForFunction(() => document.querySelectorAll("svg.graph .node").length === 50);
  console.log(`recorded run of 50 services and ${EVENTS} events: loaded and graph drawn in ${Date.now() - t4} ms (longest main-thread task ${await page.evaluate(() => window.longestTaskMs)} ms); page heap ${await heapMiB()} MiB`);
} finally {
  await browser.close();
  await rigd.stop();
  rmSync(profile, { recursive: true, force: true });
}
