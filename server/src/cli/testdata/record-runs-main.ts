/**
 * Re-records the committed runs of `testdata/runs/` (the golden tests read them):
 *   tsc -b server && node server/dist/cli/testdata/record-runs-main.js
 * then check the goldens (`UPDATE_GOLDEN=1` rewrites them) and commit both.
 */
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRigd } from "../../testing/rigd-harness.js";
import { SCENARIOS } from "./recorded-runs.js";

const target = fileURLToPath(new URL("../../../src/cli/testdata/runs/", import.meta.url));
const rigd = await startRigd();
try {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const id = await scenario(rigd.client);
    cpSync(join(rigd.rigDir, "logs", id, "events.jsonl"), join(target, id, "events.jsonl"));
    process.stdout.write(`${name}: ${id}\n`);
  }
} finally {
  await rigd.stop();
}
