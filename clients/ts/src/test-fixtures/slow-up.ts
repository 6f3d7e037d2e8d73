/**
 * Run as a child by up-progress.spec: brings up "db" (ready at once) and "slow", a process
 * that listens only after 3 s and depends on db, so startup takes longer than the 2 s
 * after which the SDK reports progress on stderr.
 */
import { rig } from "../index.js";

const listen = "require('http').createServer((q, s) => s.end('up')).listen(+process.env.PORT, process.env.HOST)";
const db = rig.process(process.execPath, "-e", listen).ingress("default", { protocol: "http" });
const slow = rig
  .process(process.execPath, "-e", `setTimeout(() => ${listen}, 3000)`)
  .ingress("default", { protocol: "http" })
  .egress("db");
const env = await rig.up({ db, slow }, { name: "slow-up" });
process.stdout.write(`up ${env.id}\n`);
await env.down();
