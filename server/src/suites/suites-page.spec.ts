/**
 * The dashboard's suites pages in a real browser (Debian's chromium, playwright-core)
 * against a real rigd running a real node:test suite: the suite with its runs, a run
 * started from the page, its tests with attempts, the flaky mark, each test's results over
 * the last runs, and the link from a test to the environment it created.
 *
 * Skipped when /usr/bin/chromium is missing, unless RIG_REQUIRE_BROWSER=1 (scripts/test.sh).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startRigd, type Rigd } from "../testing/rigd-harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const testdata = join(here, "..", "..", "src", "suites", "testdata");
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && process.env.RIG_REQUIRE_BROWSER === "1") throw new Error(`${CHROMIUM} is missing (apt-get install chromium; scripts/setup.sh does)`);

let rigd: Rigd;
let browser: BrowserContext;
let page: Page;
let work: string;

before(async () => {
  if (!hasBrowser) return;
  execFileSync(process.execPath, [join(here, "..", "..", "ui", "build-ui.mjs"), "--no-check"], { stdio: "ignore" });
  work = mkdtempSync(join(tmpdir(), "rig-suites-page-"));
  writeFileSync(
    join(work, "rig.suites.json"),
    JSON.stringify({
      suites: [
        {
          name: "web",
          namespace: "shop",
          dir: join(testdata, "node"),
          command: 'node --test --test-reporter=junit --test-reporter-destination="$RIG_SUITE_REPORT" basic.test.mjs environment.test.mjs',
          maxAttempts: 2,
          env: { FLAKY_COUNTER: join(work, "count") },
        },
      ],
    }),
  );
  rigd = await startRigd(["--suites", join(work, "rig.suites.json"), "--idle", "0"]);
  browser = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1200, height: 760 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);
  page.on("pageerror", (err) => console.error("page error:", err));
});

after(async () => {
  if (!hasBrowser) return;
  await browser?.close();
  await rigd?.stop();
  rmSync(work, { recursive: true, force: true });
});

test("the suites pages: a run started from the page, its tests, flaky mark, history and environments", { skip: !hasBrowser && "no /usr/bin/chromium" }, async () => {
  await page.goto(`http://${rigd.address}/ui/#token=${rigd.token}`);
  await page.click("#suites-link");
  await page.waitForSelector('.suite[data-suite="web"]');
  await page.click('button[data-run-suite="web"]');

  // The run's page follows the run to its end.
  await page.waitForSelector('[data-run-status="failed"]');
  await page.waitForSelector('tr[data-test="compares"][data-result="failed"]');
  const flaky = await page.textContent('tr[data-test="flaky"]');
  assert.match(flaky ?? "", /passed\s*flaky/);
  assert.match(flaky ?? "", /1: failed .* 2: passed/);
  assert.match((await page.textContent('tr[data-test="compares"] pre.test-output')) ?? "", /a failure by design/);
  assert.equal(await page.getAttribute('tr[data-test="adds"] .dots a', "data-result"), "passed", "one dot per run of the suite");
  assert.equal(await page.$('tr[data-test="environment.test.mjs"]'), null, "no phantom test for a file the retry filtered out");

  // A second run: each test shows two results over time.
  await page.click('a[href="#/suites"]');
  await page.click('button[data-run-suite="web"]');
  await page.waitForSelector('[data-run-status="failed"]');
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('tr[data-test="adds"] .dots a').length === 2);

  // From a test to the environment it created.
  const envId = await page.getAttribute('tr[data-test="uses an environment"] a[data-environment]', "data-environment");
  assert.ok(envId);
  await page.click('tr[data-test="uses an environment"] a[data-environment]');
  await page.waitForSelector('svg.graph .node[data-service="worker"]');

  // The suites page lists both runs and the flaky test.
  await page.goto(`http://${rigd.address}/ui/#/suites`);
  await page.waitForSelector('.suite[data-suite="web"] li[data-status="failed"] + li[data-status="failed"]');
  await page.waitForSelector('tr[data-flaky="web/flaky"]');
});
