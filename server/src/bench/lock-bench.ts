/**
 * Resource locks through a real rigd (issue 13): uncontended acquire + release latency
 * (one exclusive lock taken and released over its Acquire stream, median and p99), and
 * throughput of 8 processes contending for one exclusive resource. Figures only.
 *
 *   node server/dist/bench/lock-bench.js [--runs 500] [--procs 8] [--per-proc 100]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AcquireRequestSchema, LockMode, LockService, type AcquireRequest } from "../gen/rig/v1/lock_service_pb.js";
import { bearer, startRigd } from "../testing/rigd-harness.js";
import { median } from "./load-rounds.js";

type LockClient = Client<typeof LockService>;

/** The request side of one Acquire stream. */
class Requests implements AsyncIterable<AcquireRequest> {
  private readonly items: AcquireRequest[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  push(item: AcquireRequest): void {
    this.items.push(item);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<AcquireRequest> {
    for (;;) {
      const item = this.items.shift();
      if (item) yield item;
      else if (this.ended) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}

async function acquireRelease(client: LockClient, resource: string): Promise<void> {
  const requests = new Requests();
  requests.push(create(AcquireRequestSchema, { kind: { case: "lock", value: { resources: [resource], mode: LockMode.EXCLUSIVE, holder: { pid: process.pid, language: "ts", testName: "lock-bench" } } } }));
  const responses = client.acquire(requests)[Symbol.asyncIterator]();
  for (;;) {
    const r = await responses.next();
    if (r.done) throw new Error("rigd ended the lock request");
    if (r.value.kind.case === "acquired") break;
  }
  requests.push(create(AcquireRequestSchema, { kind: { case: "release", value: {} } }));
  requests.end();
  while (!(await responses.next()).done);
}

function lockClient(address: string, token: string): LockClient {
  return createClient(LockService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(token)] }));
}

async function worker(address: string, token: string, resource: string, count: number): Promise<void> {
  const client = lockClient(address, token);
  await acquireRelease(client, resource); // connection up
  process.stdout.write("ready\n");
  await new Promise<void>((r) => process.stdin.once("data", () => r()));
  for (let i = 0; i < count; i++) await acquireRelease(client, resource);
  process.stdout.write("done\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "500" },
      procs: { type: "string", default: "8" },
      "per-proc": { type: "string", default: "100" },
      worker: { type: "string" },
    },
  });
  if (values.worker) {
    const [address, token, resource, count] = values.worker.split(",");
    return worker(address!, token!, resource!, Number(count));
  }
  const runs = Number(values.runs);
  const procs = Number(values.procs);
  const perProc = Number(values["per-proc"]);
  const rigd = await startRigd();
  try {
    const client = lockClient(rigd.address, rigd.token);
    for (let i = 0; i < 30; i++) await acquireRelease(client, "bench-uncontended");
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await acquireRelease(client, "bench-uncontended");
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    console.log(`uncontended exclusive acquire + release, ${runs} runs: median ${median(ms).toFixed(3)} ms, p99 ${ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))]!.toFixed(3)} ms`);

    const self = fileURLToPath(import.meta.url);
    const children = Array.from({ length: procs }, () =>
      spawn(process.execPath, [self, "--worker", [rigd.address, rigd.token, "bench-contended", perProc].join(",")], { stdio: ["pipe", "pipe", "inherit"] }),
    );
    const line = (child: (typeof children)[number], want: string): Promise<void> =>
      new Promise((resolve, reject) => {
        let out = "";
        const onData = (d: Buffer): void => {
          out += d;
          if (out.includes(want)) {
            child.stdout!.off("data", onData);
            resolve();
          }
        };
        child.stdout!.on("data", onData);
        child.once("exit", (code) => reject(new Error(`worker exited ${code} before ${want}`)));
      });
    await Promise.all(children.map((c) => line(c, "ready")));
    const t0 = performance.now();
    const done = Promise.all(children.map((c) => line(c, "done")));
    for (const c of children) c.stdin!.write("go\n");
    await done;
    const seconds = (performance.now() - t0) / 1000;
    const total = procs * perProc;
    console.log(`${procs} processes contending for one exclusive resource: ${total} acquire + release in ${seconds.toFixed(2)} s, ${(total / seconds).toFixed(0)} per second`);
    for (const c of children) c.kill();
  } finally {
    await rigd.stop();
  }
}

await main();
