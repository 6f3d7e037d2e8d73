/**
 * Starts the container behind a pooled backend (Postgres, Redis): labelled as owned by
 * this rigd, one port published on a loopback port the engine picks, and ready once a
 * check run inside the container passes. Its last output lines explain a failed start.
 */
import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { dockerNameSafe } from "../docker/container-name.js";
import { execInContainer } from "../docker/container-exec.js";
import { poolLabels, type RigdIdentity } from "../docker/labels.js";
import { startContainer, type StartedContainer } from "../docker/run-container.js";

const OUTPUT_TAIL = 30;
/** Default time a pooled server gets to become ready. */
export const DEFAULT_BACKEND_START_TIMEOUT_MS = 60_000;

/** Options of a pool of containerized servers (Postgres, Redis). */
export interface PooledServerOptions {
  readonly docker: Docker;
  readonly owner: RigdIdentity;
  /** How long a server with no leases lives on. Default 2 minutes. */
  readonly idleMs?: number;
  readonly startTimeoutMs?: number;
  readonly log?: Logger;
}

/** What a pooled container runs. */
export interface PooledContainerSpec {
  /** `postgres`, `redis`: the pool kind, in the name and labels. */
  readonly kind: string;
  readonly image: string;
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly containerPort: number;
  readonly tmpfs?: Readonly<Record<string, string>>;
  /** Run inside the container; the server is ready once it exits 0 (and `accept` agrees). */
  readonly readyCheck: readonly string[];
  readonly accept?: (stdout: string) => boolean;
  readonly timeoutMs?: number;
}

/** A running pooled container. */
export interface PooledContainer {
  readonly container: StartedContainer;
  readonly host: string;
  readonly port: number;
}

/** Starts the container and waits until its ready check passes; removes it on any failure. */
export async function startPooledContainer(
  docker: Docker,
  owner: RigdIdentity,
  spec: PooledContainerSpec,
  signal: AbortSignal,
  log?: Logger,
): Promise<PooledContainer> {
  const tail: string[] = [];
  const name = `rig-pool-${spec.kind}-${dockerNameSafe(owner.rigdId)}-${randomBytes(3).toString("hex")}`;
  const container = await startContainer(
    docker,
    {
      name,
      image: spec.image,
      cmd: spec.cmd,
      env: spec.env,
      labels: poolLabels(owner, spec.kind, spec.image),
      ports: [{ containerPort: spec.containerPort, hostPort: 0 }],
      ...(spec.tmpfs ? { tmpfs: spec.tmpfs } : {}),
    },
    {
      signal,
      onLine(stream, line) {
        tail.push(line);
        if (tail.length > OUTPUT_TAIL) tail.shift();
        log?.debug({ container: name, stream }, line);
      },
    },
  );
  try {
    await waitForReadyCheck(docker, container, spec, signal, tail);
    return { container, host: "127.0.0.1", port: container.hostPort(spec.containerPort) };
  } catch (err) {
    await container.remove().catch(() => {});
    throw err;
  }
}

async function waitForReadyCheck(
  docker: Docker,
  container: StartedContainer,
  spec: PooledContainerSpec,
  signal: AbortSignal,
  tail: readonly string[],
): Promise<void> {
  const deadline = Date.now() + (spec.timeoutMs ?? DEFAULT_BACKEND_START_TIMEOUT_MS);
  let exited: string | undefined;
  void container.exited.then((exit) => (exited = `exited with code ${exit.code ?? "?"}${exit.error ? ` (${exit.error})` : ""}`));
  const explain = (why: string): Error =>
    new Error(`${spec.kind} server from image "${spec.image}" ${why}${tail.length ? `; last output:\n${tail.join("\n")}` : ""}`);
  let delay = 20;
  let lastDetail = "";
  for (;;) {
    signal.throwIfAborted();
    if (exited) throw explain(exited);
    try {
      const result = await execInContainer(docker, container.id, spec.readyCheck, { signal });
      if (result.exitCode === 0 && (spec.accept?.(result.stdout) ?? true)) return;
      lastDetail = (result.stderr || result.stdout).trim();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      // Exec fails while the container is still starting or after it died; the loop decides.
      lastDetail = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw explain(`was not ready after ${spec.timeoutMs ?? DEFAULT_BACKEND_START_TIMEOUT_MS} ms (${lastDetail})`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}
