/**
 * The wiring environment variables every started service gets (SPEC §7).
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";

/** Upper-cases a name and turns `-` (and other non-identifier chars) into `_`: `order-db` -> `ORDER_DB`. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/** Lower-case protocol name for JSON wiring: `http`, `grpc`, `tcp`, `kafka`. */
export function protocolName(protocol: Protocol): string {
  switch (protocol) {
    case Protocol.HTTP:
      return "http";
    case Protocol.GRPC:
      return "grpc";
    case Protocol.KAFKA:
      return "kafka";
    case Protocol.TCP:
      return "tcp";
    default:
      return "unspecified";
  }
}

function endpointJson(endpoint: Endpoint): JsonObject {
  return {
    host: endpoint.host,
    port: endpoint.port,
    protocol: protocolName(endpoint.protocol),
    attributes: { ...endpoint.attributes },
  };
}

function endpointVars(prefix: string, endpoint: Endpoint, out: Record<string, string>): void {
  const p = prefix === "" ? "" : `${prefix}_`;
  out[`${p}HOST`] = endpoint.host;
  out[`${p}PORT`] = String(endpoint.port);
  for (const [attr, value] of Object.entries(endpoint.attributes)) out[`${p}${envPrefix(attr)}`] = value;
}

/** Inputs of the wiring env: a service's own endpoints, its egresses, and its dirs. */
export interface WiringEnvInput {
  readonly service: string;
  readonly ingresses: Readonly<Record<string, Endpoint>>;
  readonly egresses: Readonly<Record<string, Endpoint>>;
  readonly tempDir: string;
  readonly envDir: string;
}

/**
 * Builds RIG_WIRING, RIG_SERVICE, RIG_TEMP_DIR, RIG_ENV_DIR, HOST/PORT/attributes for the
 * default ingress, NAME_HOST/NAME_PORT/NAME_ATTR for other ingresses, and
 * EGRESS_HOST/EGRESS_PORT/EGRESS_ATTR for each egress. Container types call this with
 * endpoints rewritten for the container's network.
 */
export function buildWiringEnv(input: WiringEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  const ingressJson: JsonObject = {};
  const egressJson: JsonObject = {};
  for (const [name, endpoint] of Object.entries(input.ingresses)) {
    endpointVars(name === "default" ? "" : envPrefix(name), endpoint, env);
    ingressJson[name] = endpointJson(endpoint);
  }
  for (const [name, endpoint] of Object.entries(input.egresses)) {
    endpointVars(envPrefix(name), endpoint, env);
    egressJson[name] = endpointJson(endpoint);
  }
  env["RIG_SERVICE"] = input.service;
  env["RIG_TEMP_DIR"] = input.tempDir;
  env["RIG_ENV_DIR"] = input.envDir;
  env["RIG_WIRING"] = JSON.stringify({
    ingresses: ingressJson,
    egresses: egressJson,
    temp_dir: input.tempDir,
    env_dir: input.envDir,
  });
  return env;
}

/**
 * Names of the wiring vars a service will get, computable before anything runs
 * (for validating `${VAR}` references). `attributes` lists attribute names per ingress
 * of the service itself and per egress.
 */
export function wiringVariableNames(input: {
  readonly ingresses: readonly { readonly name: string; readonly attributes: readonly string[] }[];
  readonly egresses: readonly { readonly name: string; readonly attributes: readonly string[] }[];
}): Set<string> {
  const names = new Set(["RIG_WIRING", "RIG_SERVICE", "RIG_TEMP_DIR", "RIG_ENV_DIR"]);
  const add = (prefix: string, attrs: readonly string[]): void => {
    const p = prefix === "" ? "" : `${prefix}_`;
    names.add(`${p}HOST`);
    names.add(`${p}PORT`);
    for (const a of attrs) names.add(`${p}${envPrefix(a)}`);
  };
  for (const i of input.ingresses) add(i.name === "default" ? "" : envPrefix(i.name), i.attributes);
  for (const e of input.egresses) add(envPrefix(e.name), e.attributes);
  return names;
}
