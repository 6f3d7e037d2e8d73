/**
 * Progress of `rig.up` on stderr: once startup has taken longer than `delayMs` (2 s), one
 * line saying what it still waits for (rigd, artifacts being pulled or built, services
 * running prestart hooks, starting and not yet ready, running init hooks), and another
 * line each time that changes (changes within `throttleMs` of each other make one line, so
 * a burst of phases says only where it ended). rig's own services (named `~...`: the test
 * process, observing proxies) are left out. Silent for quick startups and with RIG_QUIET.
 */
import type { Event } from "../gen/rig/v1/event_pb.js";

/** What a service is doing while it is not yet ready. */
type ServicePhase = "prestart hooks" | "starting, not yet ready" | "healthy, not yet ready" | "init hooks";

export interface UpProgressOptions {
  /** Say nothing before this much time has passed. Default 2000. */
  readonly delayMs?: number;
  /** At most one line per this many ms; 0 writes each change at once. Default 100. */
  readonly throttleMs?: number;
  /** Where lines go. Default process.stderr. */
  readonly write?: (line: string) => void;
  /** No output at all. Default: RIG_QUIET is set (and not empty). */
  readonly quiet?: boolean;
}

export class UpProgress {
  readonly #name: string;
  readonly #write: (line: string) => void;
  readonly #throttleMs: number;
  #pending: NodeJS.Timeout | undefined;
  readonly #started = Date.now();
  readonly #artifacts = new Map<string, string>();
  /** The latest artifact.progress line of each artifact (pull bytes, build step). */
  readonly #artifactLines = new Map<string, string>();
  readonly #services = new Map<string, ServicePhase>();
  #created = false;
  #timer: NodeJS.Timeout | undefined;
  #speaking = false;
  #stopped = false;
  #last = "";

  constructor(name: string, options: UpProgressOptions = {}) {
    this.#name = name;
    this.#write = options.write ?? ((line) => process.stderr.write(line));
    this.#throttleMs = options.throttleMs ?? 100;
    const quiet = options.quiet ?? Boolean(process.env["RIG_QUIET"]);
    if (quiet) {
      this.#stopped = true;
      return;
    }
    this.#timer = setTimeout(() => {
      this.#speaking = true;
      this.#say();
    }, options.delayMs ?? 2000);
    this.#timer.unref();
  }

  /** Feeds one event of the environment. */
  observe(event: Event): void {
    if (this.#stopped) return;
    this.#created = true;
    const service = event.service;
    if (service.startsWith("~")) return;
    const p = event.payload;
    switch (p.case) {
      case "artifactStarted":
        this.#artifacts.set(p.value.key, p.value.description || p.value.key);
        break;
      case "artifactProgress":
        if (!this.#artifacts.has(p.value.key)) return;
        this.#artifactLines.set(p.value.key, p.value.line);
        break;
      case "artifactCompleted":
      case "artifactCached":
      case "artifactFailed":
        this.#artifacts.delete(p.value.key);
        this.#artifactLines.delete(p.value.key);
        break;
      case "servicePrestart":
        this.#services.set(service, "prestart hooks");
        break;
      case "serviceStarting":
        this.#services.set(service, "starting, not yet ready");
        break;
      case "serviceHealthy":
        this.#services.set(service, "healthy, not yet ready");
        break;
      case "serviceInit":
        this.#services.set(service, "init hooks");
        break;
      case "serviceReady":
      case "serviceFailed":
      case "serviceStopped":
        this.#services.delete(service);
        break;
      default:
        return;
    }
    this.#changed();
  }

  /** Startup is over (up, down, lost, timed out or aborted): no more lines. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#pending);
  }

  /** The line for the current state, without the elapsed time (what "a change" compares). */
  waitingFor(): string {
    if (!this.#created) return "rigd";
    const parts: string[] = [];
    for (const [key, description] of this.#artifacts) {
      const line = this.#artifactLines.get(key);
      parts.push(`artifact ${description}${line ? ` (${shorten(line)})` : ""}`);
    }
    for (const [service, phase] of [...this.#services].sort(([a], [b]) => a.localeCompare(b))) {
      parts.push(`${service} (${phase})`);
    }
    return parts.length === 0 ? "services to start" : parts.join(", ");
  }

  #changed(): void {
    if (!this.#speaking || this.#pending) return;
    if (this.#throttleMs === 0) return this.#say();
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#say();
    }, this.#throttleMs);
    this.#pending.unref();
  }

  #say(): void {
    if (!this.#speaking || this.#stopped) return;
    const what = this.waitingFor();
    if (what === this.#last) return;
    this.#last = what;
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1);
    this.#write(`rig: ${this.#name} [${seconds}s] waiting for ${what}\n`);
  }
}

/** A progress line as it fits in the waiting line: one line, at most 100 characters. */
function shorten(line: string): string {
  const one = line.replace(/\s+/g, " ").trim();
  return one.length <= 100 ? one : `${one.slice(0, 99)}…`;
}
