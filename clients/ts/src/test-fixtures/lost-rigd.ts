/**
 * Run as a child by lost-rigd.spec: brings an environment up, kills the rigd serving it
 * (found by its RIG_DIR) with SIGKILL, and waits, so the test can read what the SDK said.
 */
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { rig } from "../index.js";

const web = rig
  .process(process.execPath, "-e", "require('http').createServer((q, s) => s.end('up')).listen(+process.env.PORT, process.env.HOST)")
  .ingress("default", { protocol: "http" });
const env = await rig.up({ web }, { name: "lost-rigd" });
process.stdout.write(`up ${env.id}\n`);

const rigDir = process.env["RIG_DIR"] as string;
for (const entry of readdirSync("/proc")) {
  if (!/^\d+$/.test(entry)) continue;
  try {
    const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
    if (cmdline.includes("main.js") && !cmdline.includes("watchdog") && environ.includes(`RIG_DIR=${rigDir}`)) {
      process.kill(Number(entry), "SIGKILL");
    }
  } catch {
    // gone, or not ours
  }
}
await sleep(3000);
process.exit(0);
