/**
 * The environment backend with a listener on create: rigd's suites link an environment
 * to the run its labels name, and the metrics observe its events. A decorator in the
 * composition root, so the orchestrator knows about neither.
 */
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";

/** Called after an environment was created from `spec`. */
export type CreateListener = (spec: EnvironmentSpec, id: string) => void;

/** `backend`, calling `listener` after each successful create. */
export function observeCreates(backend: EnvironmentBackend, listener: CreateListener): EnvironmentBackend {
  return new Proxy(backend, {
    get(target, key) {
      if (key === "create") {
        return async (spec: EnvironmentSpec, client?: string) => {
          const created = await target.create(spec, client);
          listener(spec, created.id);
          return created;
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
