/**
 * The artifact phase's shared resolver: each artifact key is resolved once per rigd
 * (a `perRequest` artifact, such as a build from source, at every request), concurrent
 * requests share one resolution (and its progress lines), and a failure does not poison
 * the key (the next request tries again).
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  ArtifactCachedSchema,
  ArtifactCompletedSchema,
  ArtifactFailedSchema,
  ArtifactProgressSchema,
  ArtifactStartedSchema,
} from "../gen/rig/v1/event_pb.js";
import { abortable } from "../async/abortable.js";
import type { EventPayload } from "../events/event-log.js";
import { CachedArtifact, type Artifact } from "../contract/service-type.js";

/** Publishes an artifact event into the requesting environment's log. */
export type ArtifactEmit = (payload: EventPayload) => void;

/** A finished resolution: the value, and why no work was done when none was. */
interface Resolution {
  readonly value: unknown;
  readonly cached?: string;
}

export class ArtifactResolver {
  private readonly done = new Map<string, unknown>();
  private readonly inFlight = new Map<string, Promise<Resolution>>();
  /** Environments waiting for each in-flight key, for its progress lines. */
  private readonly listeners = new Map<string, Set<ArtifactEmit>>();

  /**
   * Resolves `artifact` for one environment, emitting artifact.* events to it.
   * Aborting `signal` stops this environment from waiting; a shared resolution
   * keeps going for the others.
   */
  async resolve(artifact: Artifact, signal: AbortSignal, emit: ArtifactEmit): Promise<unknown> {
    const { key } = artifact;
    if (this.done.has(key)) {
      emit({ case: "artifactCached", value: create(ArtifactCachedSchema, { key, detail: "resolved earlier by this rigd" }) });
      return this.done.get(key);
    }
    emit({ case: "artifactStarted", value: create(ArtifactStartedSchema, { key, description: artifact.description }) });
    const shared = this.inFlight.get(key);
    const started = Date.now();
    const work = shared ?? this.start(artifact);
    const waiting = this.listeners.get(key);
    waiting?.add(emit);
    try {
      const { value, cached } = await abortable(work, signal);
      if (shared || cached !== undefined) {
        const detail = shared ? "shared a concurrent resolution" : (cached as string);
        emit({ case: "artifactCached", value: create(ArtifactCachedSchema, { key, detail }) });
      } else {
        emit({
          case: "artifactCompleted",
          value: create(ArtifactCompletedSchema, { key, duration: durationFromMs(Date.now() - started) }),
        });
      }
      return value;
    } catch (err) {
      if (signal.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      emit({ case: "artifactFailed", value: create(ArtifactFailedSchema, { key, error: message }) });
      throw new Error(`artifact ${key} failed: ${message}`);
    } finally {
      waiting?.delete(emit);
    }
  }

  private start(artifact: Artifact): Promise<Resolution> {
    const listeners = new Set<ArtifactEmit>();
    const work = (async (): Promise<Resolution> => {
      // Shared by every waiting environment, so no single environment's signal may cancel it.
      const signal = new AbortController().signal;
      if (artifact.isCached && (await artifact.isCached(signal))) return { value: undefined, cached: "already present locally" };
      const progress = (line: string): void => {
        const value = create(ArtifactProgressSchema, { key: artifact.key, line });
        for (const emit of listeners) emit({ case: "artifactProgress", value });
      };
      const value = await artifact.resolve(signal, progress);
      return value instanceof CachedArtifact ? { value: value.value, cached: value.detail } : { value };
    })();
    this.inFlight.set(artifact.key, work);
    this.listeners.set(artifact.key, listeners);
    const settle = (): void => {
      this.inFlight.delete(artifact.key);
      this.listeners.delete(artifact.key);
    };
    work.then(({ value }) => {
      if (!artifact.perRequest) this.done.set(artifact.key, value);
      settle();
    }, settle);
    return work;
  }
}
