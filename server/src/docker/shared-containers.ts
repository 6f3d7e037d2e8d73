/**
 * Shared containers (`rig.container(image).shared("key")`): one container per sharing
 * key and definition, leased to one environment at a time. After each lease its reset
 * commands run (a failing one discards the container); the next lease waits for them.
 * Without a lease for `idleMs` the container is removed. With `reuse` it outlives rigd
 * and a later rigd adopts it by name, which carries the definition hash.
 */
import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { abortable } from "../async/abortable.js";
import { execChecked } from "./container-exec.js";
import { dockerNameSafe } from "./container-name.js";
import { HOST_GATEWAY_ENTRY } from "./container-wiring.js";
import { dockerStatus } from "./docker-client.js";
import { LABEL_REUSE, LABEL_SHARED_HASH, LABEL_SHARED_KEY, ownerLabels, type RigdIdentity } from "./labels.js";
import { adoptContainer, startContainer, type StartedContainer } from "./run-container.js";

/** What a shared container is; equal definitions share one container. */
export interface SharedDefinition {
  readonly key: string;
  readonly image: string;
  readonly cmd: readonly string[];
  readonly entrypoint: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Container ports to publish on loopback. */
  readonly ports: readonly number[];
  readonly reset: readonly (readonly string[])[];
  readonly idleMs: number;
  readonly reuse: boolean;
  readonly stopTimeoutSec: number;
}

/** One environment's use of a shared container; release it once. */
export interface SharedLease {
  readonly container: StartedContainer;
  /** How many leases the container served before this one (0: fresh). */
  readonly served: number;
  /** Resets the container for the next lease (in the background) and lets it go. */
  release(): void;
}

interface Entry {
  readonly definition: SharedDefinition;
  readonly name: string;
  /** Settles when the last lease queued so far is released and reset. */
  tail: Promise<void>;
  container: Promise<StartedContainer> | undefined;
  dead: boolean;
  served: number;
  idle: NodeJS.Timeout | undefined;
}

/** The hash of a definition (what makes two shared containers the same). */
export function definitionHash(definition: SharedDefinition): string {
  const { key, image, cmd, entrypoint, env, ports, reset, reuse } = definition;
  const sortedEnv = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const json = JSON.stringify({ key, image, cmd, entrypoint, env: sortedEnv, ports: [...ports].sort(), reset, reuse });
  return createHash("sha256").update(json).digest("hex").slice(0, 16);
}

/** `rig-shared-{key}-{hash}`: what a later rigd looks for when reusing. */
export function sharedContainerName(definition: SharedDefinition): string {
  return `rig-shared-${dockerNameSafe(definition.key)}-${definitionHash(definition)}`;
}

/** The shared containers of one rigd. */
export class SharedContainers {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly docker: Docker,
    private readonly owner: RigdIdentity,
  ) {}

  /** Waits for the container of `definition` to be free (starting it if needed) and leases it. */
  async acquire(definition: SharedDefinition, signal: AbortSignal): Promise<SharedLease> {
    const name = sharedContainerName(definition);
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { definition, name, tail: Promise.resolve(), container: undefined, dead: false, served: 0, idle: undefined };
      this.entries.set(name, entry);
    }
    const held = entry;
    const previous = held.tail;
    let open!: () => void;
    held.tail = previous.then(() => new Promise<void>((resolve) => (open = resolve)));
    try {
      await abortable(previous, signal);
      clearTimeout(held.idle);
      const container = await this.running(held);
      const served = held.served++;
      let released = false;
      return {
        container,
        served,
        release: () => {
          if (released) return;
          released = true;
          void this.reset(held, container).finally(() => {
            this.armIdle(held);
            open();
          });
        },
      };
    } catch (err) {
      void previous.then(() => open()); // let the queue go on without this lease
      throw err;
    }
  }

  /** Removes every shared container (those kept for reuse stay running). */
  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        clearTimeout(entry.idle);
        this.entries.delete(entry.name);
        if (entry.definition.reuse || !entry.container) return;
        await (await entry.container.catch(() => undefined))?.remove();
      }),
    );
  }

  private async running(entry: Entry): Promise<StartedContainer> {
    if (entry.container && !entry.dead) {
      try {
        return await entry.container;
      } catch {
        // the last start failed: try again below
      }
    }
    entry.dead = false;
    entry.served = 0;
    entry.container = this.start(entry);
    const container = await entry.container;
    void container.exited.then(() => {
      if (entry.container) entry.dead = true;
    });
    return container;
  }

  private async start(entry: Entry): Promise<StartedContainer> {
    const { definition, name } = entry;
    if (definition.reuse) {
      const adopted = await adoptContainer(this.docker, name);
      if (adopted) return adopted;
    }
    const spec = {
      name,
      image: definition.image,
      cmd: definition.cmd,
      entrypoint: definition.entrypoint,
      env: definition.env,
      labels: {
        ...ownerLabels(this.owner),
        [LABEL_SHARED_KEY]: definition.key,
        [LABEL_SHARED_HASH]: definitionHash(definition),
        ...(definition.reuse ? { [LABEL_REUSE]: "true" } : {}),
      },
      ports: definition.ports.map((containerPort) => ({ containerPort, hostPort: 0 })),
      extraHosts: [HOST_GATEWAY_ENTRY],
      init: true,
      stopTimeoutSec: definition.stopTimeoutSec,
    };
    try {
      return await startContainer(this.docker, spec);
    } catch (err) {
      // A leftover of the same name (a dead rigd's, not yet reaped): replace it once.
      if (!/already in use/.test(err instanceof Error ? err.message : "")) throw err;
      await this.docker.getContainer(name).remove({ force: true }).catch((e: unknown) => {
        if (dockerStatus(e) !== 404) throw e;
      });
      return startContainer(this.docker, spec);
    }
  }

  /** Runs the reset commands; a failure discards the container (the next lease gets a fresh one). */
  private async reset(entry: Entry, container: StartedContainer): Promise<void> {
    try {
      for (const command of entry.definition.reset) {
        await execChecked(this.docker, container.name, command, `reset command \`${command.join(" ")}\` of shared container ${entry.name}`);
      }
    } catch {
      entry.container = undefined;
      await container.remove().catch(() => {});
    }
  }

  private armIdle(entry: Entry): void {
    if (entry.definition.reuse) return;
    clearTimeout(entry.idle);
    entry.idle = setTimeout(() => {
      // Only when nobody queued meanwhile: a waiting lease keeps it.
      const tail = entry.tail;
      void tail.then(() => {
        if (entry.tail !== tail || this.entries.get(entry.name) !== entry) return;
        this.entries.delete(entry.name);
        void entry.container?.then((c) => c.remove()).catch(() => {});
      });
    }, entry.definition.idleMs);
    entry.idle.unref();
  }
}
