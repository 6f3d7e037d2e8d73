/**
 * The observe transform (SPEC §9): puts a recording proxy node on every edge
 * `source -> target.ingress` of a validated plan, the ~test node's edges included.
 *
 * The source keeps its egress name (so its wiring variables keep their names) and only
 * its address changes: the egress now points at the proxy's `default` ingress, with
 * `origin` naming the real target. The proxy republishes the target's attribute
 * templates, so connection strings resolve against the proxy's address.
 *
 * A pure function of the plan: no I/O, no knowledge of how proxies run.
 */
import { create, createRegistry, isMessage, toJson } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";
import { file_rig_v1_spec, Protocol, ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import type { EnvironmentPlan, PlannedEgress, PlannedIngress, PlannedService } from "../contract/plan.js";

/** Type name of proxy nodes. */
export const PROXY_TYPE = "proxy";

/** Name of the proxy's one egress, to the real target. */
export const PROXY_TARGET_EGRESS = "target";

/** Config of a proxy node (`PlannedService.config` of type "proxy"). */
export interface ProxyConfig {
  /** The service whose egress this proxy sits on. */
  readonly source: string;
  /** The real target service and ingress. */
  readonly target: string;
  readonly ingress: string;
  /** The target ingress's protocol; picks the HTTP, gRPC or TCP proxy. */
  readonly protocol: Protocol;
  /**
   * What the target is (type, config hash, ingress): the key of rigd's gRPC descriptor
   * cache. Equal keys mean "same server", so a name alone is never enough.
   */
  readonly reflectionKey: string;
}

/** Name of the proxy node on the edge source -> target.ingress. */
export function proxyNodeName(source: string, target: string, ingress: string): string {
  return `~proxy.${source}.${target}.${ingress}`;
}

/**
 * Returns `plan` with a proxy node on every edge. Plans with `observe` off, and nodes that
 * are proxies already, are left as they are. Services stay in dependency order: each
 * proxy comes after its target and right before the first service that uses it.
 */
export function insertProxies(plan: EnvironmentPlan): EnvironmentPlan {
  if (!plan.observe) return plan;
  const byName = new Map(plan.services.map((s) => [s.name, s]));
  const services: PlannedService[] = [];
  const inserted = new Set<string>();

  for (const source of plan.services) {
    if (source.type === PROXY_TYPE) {
      services.push(source);
      continue;
    }
    const proxiesOfSource: string[] = [];
    const egresses = source.egresses.map((egress): PlannedEgress => {
      const target = byName.get(egress.service);
      const ingress = target?.ingresses.find((i) => i.name === egress.ingress);
      if (!target || !ingress || target.type === PROXY_TYPE) return egress;
      const name = proxyNodeName(source.name, target.name, ingress.name);
      if (!inserted.has(name)) {
        inserted.add(name);
        services.push(proxyNode(name, source, target, ingress, plan.dir));
      }
      proxiesOfSource.push(name);
      return { name: egress.name, service: name, ingress: "default", origin: { service: target.name, ingress: ingress.name } };
    });
    const dependsOn = [...new Set([...source.dependsOn, ...proxiesOfSource])];
    services.push({ ...source, egresses, dependsOn });
  }
  return { ...plan, services };
}

function proxyNode(
  name: string,
  source: PlannedService,
  target: PlannedService,
  ingress: PlannedIngress,
  clientDir: string,
): PlannedService<ProxyConfig> {
  const config: ProxyConfig = {
    source: source.name,
    target: target.name,
    ingress: ingress.name,
    protocol: ingress.protocol,
    reflectionKey: reflectionKey(target, ingress.name, clientDir),
  };
  return {
    name,
    type: PROXY_TYPE,
    spec: create(ServiceSchema, {
      name,
      ingresses: [{ name: "default", protocol: ingress.protocol }],
      egresses: [{ name: PROXY_TARGET_EGRESS, service: target.name, ingress: ingress.name }],
    }),
    config,
    ingresses: [
      {
        name: "default",
        protocol: ingress.protocol,
        // A proxy is listening once start() resolves, and its target was checked already.
        // A readiness dial would only add a fake connection to the log (and to the target).
        ready: { ...ingress.ready, kind: "none" },
        attributes: ingress.attributes,
        containerPort: 0,
      },
    ],
    egresses: [{ name: PROXY_TARGET_EGRESS, service: target.name, ingress: ingress.name }],
    dependsOn: [target.name],
    prestart: [],
    init: [],
    requires: [],
    internal: true,
  };
}

/**
 * Identifies what a target is: its type, a hash of its config and the client directory
 * (relative commands and paths resolve against it), and the ingress.
 */
export function reflectionKey(target: PlannedService, ingress: string, clientDir: string): string {
  const hash = createHash("sha256")
    .update(canonicalJson({ config: configJson(target.config), dir: clientDir }))
    .digest("hex")
    .slice(0, 32);
  return `${target.type}:${hash}:${ingress}`;
}

/** Schemas of the built-in type configs, to serialize them canonically. */
const specRegistry = createRegistry(file_rig_v1_spec);

/** The config as JSON: protobuf JSON for messages this rigd knows, plain values otherwise. */
function configJson(config: unknown): unknown {
  const schema = isMessage(config) ? specRegistry.getMessage(config.$typeName) : undefined;
  return schema && isMessage(config, schema) ? toJson(schema, config) : config;
}

/** JSON with object keys sorted (map fields keep insertion order), bigints and bytes made text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
