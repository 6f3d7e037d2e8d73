/**
 * `make demo`: brings the example app up (starting rigd if none runs), prints its
 * endpoints and its events as they happen, places one order through the API, and tears
 * everything down.
 *
 *   node examples/dist/demo.js
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { rig } from "@rig/client";
import type { Event } from "@rig/client";
import { ordersEnvironment } from "./orders/orders-environment.js";

const started = Date.now();
console.log("bringing up the example app (orders API + worker + pricing func)...");
const env = await rig.up(ordersEnvironment(), { name: "demo" });
console.log(`up in ${Date.now() - started} ms: environment ${env.id} on rigd ${env.server}`);
const rigDir = process.env.RIG_DIR || join(homedir(), ".rig");
console.log(
  `  (try: grpcurl -plaintext -H "authorization: Bearer $(cat ${rigDir}/rigd-*.token)" ${env.server} rig.v1.EnvironmentService/ListEnvironments)`,
);
console.log("endpoints:");
for (const service of env.services) {
  try {
    const endpoint = env.endpoint(service);
    console.log(`  ${service.padEnd(8)} ${endpoint.url}`);
  } catch {
    console.log(`  ${service.padEnd(8)} (no ingress)`);
  }
}

console.log("events:");
const printing = (async () => {
  for await (const event of env.events({ includeLogs: true })) console.log(`  ${describe(event)}`);
})();

const api = env.url("api");
const response = await fetch(`${api}/orders`, { method: "POST", body: JSON.stringify({ item: "plum", quantity: 2 }) });
const order = (await response.json()) as { id: number; total: number; currency: string; status: string };
console.log(`POST ${api}/orders -> ${response.status} ${JSON.stringify(order)}`);
for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(50)) {
  const current = (await (await fetch(`${api}/orders/${order.id}`)).json()) as { status: string };
  if (current.status === "shipped") {
    console.log(`order ${order.id} shipped by the worker`);
    break;
  }
}

const stopped = await env.down({ reason: "demo finished" });
await printing;
console.log(`down (${stopped.reason}); full log: ${stopped.logPath}`);

/** One line per event: seq, type, service and the interesting part of the payload. */
function describe(event: Event): string {
  const head = `${String(event.seq).padStart(3)} ${event.type}${event.service ? ` [${event.service}]` : ""}`;
  const p = event.payload;
  switch (p.case) {
    case "ingressPublished":
      return `${head} ${Object.entries(p.value.ingresses).map(([n, e]) => `${n}=${e.host}:${e.port}`).join(" ")}`;
    case "serviceStarting":
      return `${head}${p.value.pid ? ` pid ${p.value.pid}` : ""} ${p.value.detail}`;
    case "serviceLog":
      return `${head} | ${p.value.line}`;
    case "callbackRequest":
      return `${head} ${p.value.phase} "${p.value.name}"`;
    case "callbackResponse":
      return `${head} ${p.value.error || "ok"}`;
    case "requestCompleted":
      return `${head} ${p.value.source} -> ${p.value.target}: ${p.value.method} ${p.value.path} ${p.value.status}`;
    case "environmentDown":
      return `${head} ${p.value.summary}`;
    default:
      return head;
  }
}
