/**
 * The service catalog's time to ready (issue 15): per environment, through a real rigd,
 * with its pools warm and its build caches filled, from CreateEnvironment to
 * environment.up, one service per environment:
 *
 *   - process: a Node HTTP server (`node -e`), the baseline every ratio is against;
 *   - go: a cached build of a small module (the hash of its sources, then the program);
 *   - node: a TypeScript server run with type stripping; and with a build command that
 *     the cache skips;
 *   - s3, sqs: a bucket, a queue on the pooled moto server;
 *   - temporal: a namespace on the pooled Temporal dev server;
 *   - postgres and redis, host runtime and Docker runtime side by side (no init SQL):
 *     host process versus container in the same run.
 *
 * Types whose prerequisites are missing (no Go, no moto_server, no Temporal CLI already
 * built, no Docker engine) are skipped with the reason. Prints medians and ratios; asserts nothing.
 *
 *   node server/dist/bench/catalog-bench.js [--runs 9]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Runtime, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { createDockerClient, engineReachable } from "../docker/docker-client.js";
import { DEFAULT_TEMPORAL_CLI_VERSION, findTemporalCli } from "../artifacts/temporal-cli.js";
import { findMotoServer } from "../pools/moto-backend.js";
import { upEnvironment } from "../testing/environment-events.js";
import { spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fmt = (ms: number): string => `${ms.toFixed(1).padStart(8)} ms`;

/** A fixture tree: a Go module, a TypeScript server, a package with a (trivial) build. */
function fixtures(dir: string): void {
  mkdirSync(join(dir, "go", "cmd", "api"), { recursive: true });
  writeFileSync(join(dir, "go", "go.mod"), "module example.com/bench\n\ngo 1.21\n");
  writeFileSync(
    join(dir, "go", "cmd", "api", "main.go"),
    'package main\n\nimport (\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })\n\thttp.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)\n}\n',
  );
  mkdirSync(join(dir, "node", "src"), { recursive: true });
  writeFileSync(
    join(dir, "node", "src", "server.ts"),
    'import { createServer } from "node:http";\nconst port: number = Number(process.env["PORT"]);\ncreateServer((_q, s) => s.end("ok")).listen(port, "127.0.0.1");\n',
  );
  writeFileSync(join(dir, "node", "build.mjs"), 'import { copyFileSync } from "node:fs";\ncopyFileSync("src/server.ts", "server.ts.out");\n');
}

/** Why a row cannot run here, or undefined. */
type Prerequisite = () => Promise<string | undefined>;

interface Row {
  readonly label: string;
  readonly service: (dir: string) => ServiceInit;
  readonly needs?: Prerequisite;
}

const hasGo: Prerequisite = async () => {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "no go on PATH";
  }
};
const hasMoto: Prerequisite = async () => {
  try {
    findMotoServer();
    return undefined;
  } catch {
    return "no moto_server (scripts/install-moto.sh)";
  }
};
const hasTemporal: Prerequisite = async () =>
  (await findTemporalCli(DEFAULT_TEMPORAL_CLI_VERSION, process.env))
    ? undefined
    : "no Temporal CLI on PATH or at RIG_TEMPORAL_CLI (scripts/install-temporal.sh); not built here, it takes minutes";
const hasDocker: Prerequisite = async () => ((await engineReachable(createDockerClient())) ? undefined : "no Docker engine answers");

const ROWS: readonly Row[] = [
  {
    label: "process (node -e http server)",
    service: () => ({
      name: "svc",
      config: { case: "process", value: { command: process.execPath, args: ["-e", "require('http').createServer((q,s)=>s.end('ok')).listen(+process.env.PORT,'127.0.0.1')"] } },
    }),
  },
  { label: "go (cached build)", needs: hasGo, service: (dir) => ({ name: "svc", config: { case: "go", value: { package: "./cmd/api", dir: join(dir, "go") } } }) },
  { label: "node (.ts, type stripping)", service: (dir) => ({ name: "svc", config: { case: "node", value: { script: "src/server.ts", dir: join(dir, "node") } } }) },
  {
    label: "node (.ts, cached build step)",
    service: (dir) => ({ name: "svc", config: { case: "node", value: { script: "src/server.ts", dir: join(dir, "node"), build: [process.execPath, "build.mjs"] } } }),
  },
  { label: "s3 (bucket on moto)", needs: hasMoto, service: () => ({ name: "svc", config: { case: "s3", value: {} } }) },
  { label: "sqs (queue on moto)", needs: hasMoto, service: () => ({ name: "svc", config: { case: "sqs", value: {} } }) },
  { label: "temporal (namespace, dev server)", needs: hasTemporal, service: () => ({ name: "svc", config: { case: "temporal", value: {} } }) },
  { label: "postgres, host process", service: () => ({ name: "svc", config: { case: "postgres", value: { runtime: Runtime.HOST } } }) },
  { label: "postgres, container", needs: hasDocker, service: () => ({ name: "svc", config: { case: "postgres", value: { runtime: Runtime.DOCKER } } }) },
  { label: "redis, host process", service: () => ({ name: "svc", config: { case: "redis", value: { runtime: Runtime.HOST } } }) },
  { label: "redis, container", needs: hasDocker, service: () => ({ name: "svc", config: { case: "redis", value: { runtime: Runtime.DOCKER } } }) },
];

/** One environment with `service`, up; returns ms from create to environment.up. */
async function once(rigd: Rigd, dir: string, service: ServiceInit): Promise<number> {
  const started = performance.now();
  const env = await upEnvironment(rigd, spec({ name: "bench", services: [service], dir }));
  const ms = performance.now() - started;
  await rigd.client.destroyEnvironment({ environmentId: env.id });
  return ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "9" } } });
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), "rig-catalog-bench-"));
  fixtures(dir);
  const rigd = await startRigd();
  try {
    console.log(`time to ready per environment, one service, pools warm and build caches filled, ${runs} runs each (median)`);
    const medians = new Map<string, number>();
    for (const row of ROWS) {
      const missing = await row.needs?.();
      if (missing) {
        console.log(`  ${row.label.padEnd(32)} skipped: ${missing}`);
        continue;
      }
      const warm = await once(rigd, dir, row.service(dir)); // starts the pool, fills the cache
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        times.push(await once(rigd, dir, row.service(dir)));
        process.stderr.write(".");
      }
      process.stderr.write("\n");
      const m = median(times);
      medians.set(row.label, m);
      const base = medians.get(ROWS[0]?.label ?? "");
      console.log(
        `  ${row.label.padEnd(32)} median ${fmt(m)}   (min ${fmt(Math.min(...times)).trim()}, max ${fmt(Math.max(...times)).trim()}, first/warm-up ${fmt(warm).trim()})${base ? `   ${(m / base).toFixed(2)}x process` : ""}`,
      );
    }
    for (const kind of ["postgres", "redis"]) {
      const host = medians.get(`${kind}, host process`);
      const container = medians.get(`${kind}, container`);
      if (host && container) console.log(`  ratio ${kind} container / host process: ${(container / host).toFixed(2)}x`);
    }
  } finally {
    await rigd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
