/**
 * rigd's one cache of gRPC descriptors, keyed by what a target is (its type, config and
 * ingress: the proxy node's `reflectionKey`), never by its name alone: two tests may give
 * the name "api" to different servers. Each key is probed once; concurrent lookups share
 * the probe. A method missing from the cached descriptors triggers one re-probe for that
 * method (the server may register services late). A target without reflection is
 * remembered as such and never re-probed.
 */
import { createFileRegistry, type FileRegistry } from "@bufbuild/protobuf";
import type { FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import type { MethodDescriptors } from "./grpc-decode.js";
import { fetchDescriptors, ReflectionUnavailableError } from "./reflection-fetch.js";

/** Fetches a target's descriptors; address is host:port. */
export type DescriptorFetch = (address: string) => Promise<FileDescriptorSet>;

/** A probe's outcome: a registry, or why there is none (final: do not probe again). */
type Probe = { readonly registry: FileRegistry } | { readonly reason: string; readonly final: boolean };

interface Entry {
  current: Promise<Probe>;
  /** Re-probes by method path, so each unknown method is re-probed once and shared. */
  readonly reprobes: Map<string, Promise<Probe>>;
  /** Methods found in `current`, for `known` (cleared when a re-probe replaces it). */
  readonly found: Map<string, MethodDescriptors>;
}

/** Caches descriptors per target identity for the life of rigd. */
export class DescriptorCache {
  readonly #entries = new Map<string, Entry>();
  readonly #fetch: DescriptorFetch;
  /** Probes started, for tests and benchmarks. */
  probes = 0;

  constructor(fetch: DescriptorFetch = fetchDescriptors) {
    this.#fetch = fetch;
  }

  /**
   * Message types of `path` (`/pkg.Service/Method`) on the target identified by `key`,
   * probing the server at `address` when the key has not been probed yet.
   */
  async describe(key: string, address: string, path: string): Promise<MethodDescriptors> {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { current: this.#probe(address), reprobes: new Map(), found: new Map() };
      this.#entries.set(key, entry);
    }
    const current = entry.current;
    const first = await current;
    const found = findMethod(first, path);
    if (found.ok && entry.current === current) entry.found.set(path, found);
    if (found.ok || ("final" in first && first.final)) return found;

    let reprobe = entry.reprobes.get(path);
    if (!reprobe) {
      // A failed re-probe keeps the registry we had.
      reprobe = this.#probe(address).then((next) => ("registry" in next || !("registry" in first) ? next : first));
      entry.reprobes.set(path, reprobe);
      entry.current = reprobe;
      entry.found.clear();
    }
    return findMethod(await reprobe, path);
  }

  /**
   * The message types of a method `describe` already found, without waiting: a call of a
   * known method is decoded as soon as it ends, with no promise or lookup per call.
   */
  known(key: string, path: string): MethodDescriptors | undefined {
    return this.#entries.get(key)?.found.get(path);
  }

  async #probe(address: string): Promise<Probe> {
    this.probes++;
    try {
      return { registry: createFileRegistry(await this.#fetch(address)) };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { reason, final: err instanceof ReflectionUnavailableError };
    }
  }
}

function findMethod(probe: Probe, path: string): MethodDescriptors {
  if (!("registry" in probe)) return { ok: false, reason: probe.reason };
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  const service = match ? probe.registry.getService(match[1] as string) : undefined;
  const method = service?.methods.find((m) => m.name === match?.[2]);
  if (!method) return { ok: false, reason: `method ${path} is not in the target's reflection descriptors` };
  return { ok: true, input: method.input, output: method.output, registry: probe.registry };
}
