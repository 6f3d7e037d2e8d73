/**
 * `rig.wait.*`: readiness conditions beyond the protocol check, like testcontainers'
 * `Wait.for...`. Give one (or `rig.wait.allOf(...)`) as an ingress's `ready` to wait for
 * it instead of the protocol check, or list them in `ready: { waits: [...] }` to wait for
 * them and the check.
 */
import { create } from "@bufbuild/protobuf";
import { WaitSchema, type Wait } from "../gen/rig/v1/spec_pb.js";

/** One condition, or several that must all hold. */
export class WaitFor {
  constructor(readonly waits: readonly Wait[]) {}
}

function pattern(what: string, input: string | RegExp): string {
  if (typeof input === "string") return input;
  if (input.flags.replace("g", "") !== "") throw new TypeError(`rig.wait.${what}: regular expression flags (${input.flags}) are not supported`);
  return input.source;
}

/** The conditions rig can wait for. */
export const wait = Object.freeze({
  /** A line of the service's output matches `re`, for the `times`-th time (default 1). */
  log: (re: string | RegExp, options: { readonly times?: number } = {}): WaitFor =>
    new WaitFor([create(WaitSchema, { condition: { case: "log", value: { pattern: pattern("log", re), times: options.times ?? 0 } } })]),
  /** `command` exits 0: inside a container service (unless `onHost`), else on the host with the service's wiring. */
  command: (command: readonly string[], options: { readonly onHost?: boolean } = {}): WaitFor =>
    new WaitFor([create(WaitSchema, { condition: { case: "command", value: { command: [...command], onHost: options.onHost ?? false } } })]),
  /** `path` answers `status` (default any 2xx) with a body matching `body`. */
  http: (path: string, options: { readonly status?: number; readonly body?: string | RegExp; readonly method?: string } = {}): WaitFor =>
    new WaitFor([
      create(WaitSchema, {
        condition: {
          case: "http",
          value: { path, status: options.status ?? 0, bodyPattern: options.body === undefined ? "" : pattern("http", options.body), method: options.method ?? "" },
        },
      }),
    ]),
  /** The container image's own HEALTHCHECK reports healthy. */
  healthcheck: (): WaitFor => new WaitFor([create(WaitSchema, { condition: { case: "healthcheck", value: {} } })]),
  /** Every one of `conditions`. */
  allOf: (...conditions: WaitFor[]): WaitFor => new WaitFor(conditions.flatMap((c) => c.waits)),
});
