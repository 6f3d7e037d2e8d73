/**
 * How a builder user describes an ingress and its readiness check, and the conversion
 * to the API's Ingress message. Unset fields stay unset so rigd applies the type's and
 * the protocol's defaults (SPEC §4, §5).
 */
import { create } from "@bufbuild/protobuf";
import type { Ingress, Readiness } from "../gen/rig/v1/spec_pb.js";
import { IngressSchema, Protocol, ReadinessKind, ReadinessSchema } from "../gen/rig/v1/spec_pb.js";
import type { ProtocolName } from "../environment/endpoint.js";
import type { DurationInput } from "./duration.js";
import { toDuration } from "./duration.js";
import { WaitFor } from "./waits.js";

/** A readiness check in full. Unset fields take the protocol's defaults. */
export interface ReadinessOptions {
  /** Check kind; default follows the protocol (tcp dial, http GET, grpc health). */
  readonly kind?: "tcp" | "http" | "grpc" | "none";
  /** Path of the HTTP GET (default "/"). */
  readonly path?: string;
  /** Service name for grpc.health.v1 Check (default "", the whole server). */
  readonly grpcService?: string;
  /** Give up after this long (default 30 s). */
  readonly timeout?: DurationInput;
  /** Shortest polling interval (default 2 ms): the first probes come this often, later ones a twentieth of the wait's age (at most 20 ms for the first 3 s). */
  readonly interval?: DurationInput;
  /** Largest polling interval (default 1 s), reached as the wait grows old. */
  readonly maxInterval?: DurationInput;
  /** Conditions that must hold besides the check (`rig.wait.log(...)`, ...); `timeout` covers them. */
  readonly waits?: readonly WaitFor[];
}

/**
 * A readiness check: `false` or "none" for no check, a kind name, an HTTP path such as
 * "/healthz" (an HTTP GET of that path), `rig.wait.*` conditions instead of the protocol
 * check, or the full options.
 */
export type ReadinessInput = false | "none" | "tcp" | "http" | "grpc" | `/${string}` | WaitFor | ReadinessOptions;

/** Options of one ingress. */
export interface IngressOptions {
  /** Protocol spoken; default is the type's (http for process, func and container). */
  readonly protocol?: ProtocolName;
  /** Readiness check; default is the protocol's. */
  readonly ready?: ReadinessInput;
  /** Static attributes; values may use ${HOST}, ${PORT} and ${HOSTPORT}. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Port inside the container (container types). */
  readonly containerPort?: number;
}

const PROTOCOLS: Readonly<Record<ProtocolName, Protocol>> = {
  tcp: Protocol.TCP,
  http: Protocol.HTTP,
  grpc: Protocol.GRPC,
  kafka: Protocol.KAFKA,
};

const KINDS: Readonly<Record<NonNullable<ReadinessOptions["kind"]>, ReadinessKind>> = {
  tcp: ReadinessKind.TCP,
  http: ReadinessKind.HTTP,
  grpc: ReadinessKind.GRPC,
  none: ReadinessKind.NONE,
};

/** Builds the Ingress message for a named ingress. */
export function toIngress(name: string, options: IngressOptions = {}): Ingress {
  if (options.protocol !== undefined && !(options.protocol in PROTOCOLS)) {
    throw new TypeError(`rig: ingress "${name}": unknown protocol "${options.protocol}" (use tcp, http, grpc or kafka)`);
  }
  return create(IngressSchema, {
    name,
    protocol: options.protocol ? PROTOCOLS[options.protocol] : Protocol.UNSPECIFIED,
    ready: options.ready === undefined ? undefined : toReadiness(name, options.ready),
    attributes: { ...options.attributes },
    containerPort: options.containerPort ?? 0,
  });
}

function toReadiness(ingress: string, input: ReadinessInput): Readiness {
  if (input === false || input === "none") return create(ReadinessSchema, { kind: ReadinessKind.NONE });
  if (typeof input === "string") {
    if (input.startsWith("/")) return create(ReadinessSchema, { kind: ReadinessKind.HTTP, httpPath: input });
    if (!(input in KINDS)) throw new TypeError(`rig: ingress "${ingress}": unknown readiness "${input}"`);
    return create(ReadinessSchema, { kind: KINDS[input as keyof typeof KINDS] });
  }
  if (input instanceof WaitFor) return create(ReadinessSchema, { kind: ReadinessKind.NONE, waits: [...input.waits] });
  const what = `ingress "${ingress}" readiness`;
  return create(ReadinessSchema, {
    kind: input.kind ? KINDS[input.kind] : input.path ? ReadinessKind.HTTP : ReadinessKind.UNSPECIFIED,
    httpPath: input.path ?? "",
    grpcService: input.grpcService ?? "",
    timeout: input.timeout === undefined ? undefined : toDuration(input.timeout, `${what} timeout`),
    interval: input.interval === undefined ? undefined : toDuration(input.interval, `${what} interval`),
    maxInterval: input.maxInterval === undefined ? undefined : toDuration(input.maxInterval, `${what} maxInterval`),
    waits: (input.waits ?? []).flatMap((w) => w.waits),
  });
}
