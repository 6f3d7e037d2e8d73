/**
 * Validation and normalization of an EnvironmentSpec into an EnvironmentPlan.
 *
 * Every problem is collected (not just the first) with the path where it is, so a
 * user fixes a spec in one round trip. On success, every default is filled and the
 * virtual ~test node is appended.
 */
import { create } from "@bufbuild/protobuf";
import type { Hook, Ingress, Service, EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import { Protocol, ReadinessKind, ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import type { ProblemSink, ServiceType, TemplateScope } from "../contract/service-type.js";
import type { TypeRegistry } from "../contract/type-registry.js";
import { ATTRIBUTE_TEMPLATE_VARIABLES, templateVariables } from "../wiring/templates.js";
import { envPrefix, wiringVariableNames } from "../wiring/wiring-env.js";
import { durationMs } from "../contract/durations.js";
import { resourceNameProblem } from "../contract/resource-locks.js";
import { SpecInvalidError, type SpecProblem } from "../contract/errors.js";
import { planWaits } from "./wait-plans.js";
import { limitFlag, LimitError, quote, type Limits } from "../contract/limits.js";
import {
  TEST_NODE,
  TEST_NODE_TYPE,
  type EnvironmentPlan,
  type PlannedEgress,
  type PlannedIngress,
  type PlannedService,
  type ReadinessPlan,
} from "../contract/plan.js";

/** Defaults a rigd applies where the spec is silent. */
export interface PlanDefaults {
  readonly orphanGraceMs: number;
  readonly stallTimeoutMs: number;
  readonly callbackTimeoutMs: number;
  /** Environment used when the client sent no host_env. */
  readonly hostEnv: Readonly<Record<string, string>>;
  /** Directory used when the client sent no dir. */
  readonly dir: string;
  readonly limits: Limits;
}

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const NAME_RULE = "use 1-63 lower-case letters, digits, '-' or '_', starting with a letter";

/** The registered type name a service declares, or undefined when no config is set. */
export function declaredTypeName(service: Service): string | undefined {
  switch (service.config.case) {
    case undefined:
      return undefined;
    case "custom":
      return service.config.value.type;
    default:
      return service.config.case;
  }
}

function readinessPlan(
  ingress: Ingress,
  protocol: Protocol,
  type: ServiceType | undefined,
  path: string,
  report: (path: string, message: string) => void,
): ReadinessPlan {
  const r = ingress.ready;
  const byProtocol = protocol === Protocol.HTTP ? "http" : protocol === Protocol.GRPC ? "grpc" : "tcp";
  const kinds: Record<ReadinessKind, ReadinessPlan["kind"]> = {
    [ReadinessKind.UNSPECIFIED]: byProtocol,
    [ReadinessKind.TCP]: "tcp",
    [ReadinessKind.HTTP]: "http",
    [ReadinessKind.GRPC]: "grpc",
    [ReadinessKind.NONE]: "none",
  };
  const kind = kinds[r?.kind ?? ReadinessKind.UNSPECIFIED];
  if (kind === undefined) report(`${path}.ready.kind`, `unknown readiness kind ${r?.kind}`);
  const httpPath = r?.httpPath || "/";
  if (!httpPath.startsWith("/")) report(`${path}.ready.http_path`, `must start with "/" (got ${quote(httpPath)})`);
  // 2 ms: readiness polls every 2 ms while the service is young (readiness/wait-until-ready.ts).
  const intervalMs = durationMs(r?.interval, `${path}.ready.interval`, report, 2);
  return {
    kind: kind ?? byProtocol,
    httpPath,
    httpReadyBelow: r?.httpPath ? 400 : 500,
    grpcService: r?.grpcService ?? "",
    timeoutMs: durationMs(r?.timeout, `${path}.ready.timeout`, report, 30_000),
    intervalMs,
    maxIntervalMs: Math.max(intervalMs, durationMs(r?.maxInterval, `${path}.ready.max_interval`, report, 1_000)),
    ...(r?.waits.length ? { waits: planWaits(r.waits, type, path, report) } : {}),
  };
}

/**
 * Finds the cycles of the dependency graph, each once (rotated so its smallest name
 * leads). Iterative: a spec's depth must never be the depth of rigd's stack.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, "visiting" | "done">();
  for (const root of [...graph.keys()].sort()) {
    if (state.has(root)) continue;
    const path: string[] = [];
    const frames: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, "visiting");
    path.push(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next >= edges.length) {
        state.set(frame.node, "done");
        path.pop();
        frames.pop();
        continue;
      }
      const next = edges[frame.next++]!;
      if (!graph.has(next)) continue;
      const s = state.get(next);
      if (s === "visiting") {
        const cycle = path.slice(path.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0] as string);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = canonical.join("\u0000");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(canonical);
        }
      } else if (s === undefined) {
        state.set(next, "visiting");
        path.push(next);
        frames.push({ node: next, next: 0 });
      }
    }
  }
  return cycles;
}

/** Targets before dependents (graph must be acyclic). Iterative, like findCycles. */
function topologicalOrder(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  for (const root of graph.keys()) {
    if (done.has(root)) continue;
    done.add(root);
    const frames: { node: string; next: number }[] = [{ node: root, next: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const deps = graph.get(frame.node) ?? [];
      if (frame.next < deps.length) {
        const dep = deps[frame.next++]!;
        if (!done.has(dep)) {
          done.add(dep);
          frames.push({ node: dep, next: 0 });
        }
        continue;
      }
      order.push(frame.node);
      frames.pop();
    }
  }
  return order;
}

/**
 * Every string of the spec longer than the limit, with its path. Walks the message with
 * an explicit stack: a custom config can nest as deep as its JSON does.
 */
function reportLongStrings(spec: EnvironmentSpec, max: number, report: (path: string, message: string) => void): void {
  const stack: [string, unknown][] = [["", spec]];
  let reported = 0;
  while (stack.length > 0 && reported < 20) {
    const [path, value] = stack.pop()!;
    if (typeof value === "string") {
      if (value.length > max) {
        reported++;
        report(path, `${value.length} characters is over this rigd's limit of ${max} for one value (${limitFlag("valueLength")}): ${quote(value, 40)}`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([`${path}[${i}]`, v]));
    } else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
      for (const [key, v] of Object.entries(value)) {
        if (key === "$typeName") continue;
        // A oneof is { case, value }: its path is the case's name.
        const isOneof = v !== null && typeof v === "object" && "case" in v;
        if (key === "value" && "case" in value) stack.push([`${path}.${String((value as { case: unknown }).case)}`, v]);
        else if (isOneof) stack.push([path, v]); // services[0].config.process -> services[0].process
        else if (key !== "case") stack.push([path ? `${path}.${key}` : key, v]);
      }
    }
  }
}

interface Draft {
  readonly index: number;
  readonly spec: Service;
  readonly path: string;
  readonly type: ServiceType | undefined;
  readonly typeName: string;
  /** The config as the type read it (undefined when the type is unknown). */
  readonly config: unknown;
  readonly ingresses: PlannedIngress[];
  readonly egresses: PlannedEgress[];
}

/**
 * Validates `spec` against the registered types and returns the plan; throws
 * SpecInvalidError listing every problem.
 */
export function planEnvironment(spec: EnvironmentSpec, types: TypeRegistry, defaults: PlanDefaults): EnvironmentPlan {
  const problems: SpecProblem[] = [];
  const report = (path: string, message: string): void => {
    problems.push({ path, message });
  };

  if (spec.name && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(spec.name)) {
    report("name", `environment name ${quote(spec.name)} is malformed: use 1-63 letters, digits, '.', '-' or '_'`);
  }
  if (spec.services.length === 0) report("services", "the spec has no services; declare at least one");
  if (spec.services.length > defaults.limits.services) {
    throw new LimitError(
      `the spec has ${spec.services.length} services; this rigd allows at most ${defaults.limits.services} per environment (${limitFlag("services")})`,
    );
  }
  reportLongStrings(spec, defaults.limits.valueLength, report);

  const ttlMs = spec.ttl ? durationMs(spec.ttl, "ttl", report, 0) || undefined : undefined;
  const orphanGraceMs = durationMs(spec.orphanGrace, "orphan_grace", report, defaults.orphanGraceMs);
  const stallTimeoutMs = durationMs(spec.stallTimeout, "stall_timeout", report, defaults.stallTimeoutMs);
  const callbackTimeoutMs = durationMs(spec.callbackTimeout, "callback_timeout", report, defaults.callbackTimeoutMs);
  const hostEnv = Object.keys(spec.hostEnv).length > 0 ? spec.hostEnv : defaults.hostEnv;

  // Pass 1: names, types, type config, ingresses.
  const drafts = new Map<string, Draft>();
  const allDrafts: Draft[] = []; // unnamed and duplicate services are still checked in pass 2
  spec.services.forEach((service, index) => {
    const path = `services[${index}]${service.name ? `(${service.name})` : ""}`;
    if (!service.name) report(`${path}.name`, "name is required");
    else if (!NAME.test(service.name)) report(`${path}.name`, `service name ${quote(service.name)} is malformed: ${NAME_RULE}`);
    const typeName = declaredTypeName(service);
    const known = types.declarable().join(", ");
    let type: ServiceType | undefined;
    let config: unknown;
    if (typeName === undefined) {
      report(path, `no type: set exactly one of ${known} (types from plugins through custom.type)`);
    } else if (service.config.case === "custom" && !typeName) {
      report(`${path}.custom.type`, "custom.type is required");
    } else {
      const found = types.get(typeName);
      config = found && !found.internal ? found.configOf(service) : undefined;
      if (!found || found.internal) {
        report(path, `unknown type ${quote(typeName)} (this rigd knows: ${known})`);
      } else if (config === undefined) {
        // e.g. custom: {type: "process"}: the type reads its own config field, not a Struct.
        report(`${path}.custom.type`, `"${typeName}" is a built-in type: declare it with its own "${typeName}" field, not custom`);
      } else {
        type = found;
      }
    }
    const ingresses = planIngresses(service, type, path, report);
    const draft: Draft = { index, spec: service, path, type, typeName: typeName ?? "", config, ingresses, egresses: [] };
    allDrafts.push(draft);
    if (service.name) {
      const earlier = drafts.get(service.name);
      if (earlier) report(`${path}.name`, `duplicate service name ${quote(service.name)} (also ${earlier.path})`);
      else drafts.set(service.name, draft);
    }
  });

  // Pass 2: egresses, hooks, templates (need every service's ingresses).
  const graph = new Map<string, string[]>();
  for (const draft of allDrafts) {
    const { spec: service, path } = draft;
    const names = new Map<string, number>();
    service.egresses.forEach((egress, i) => {
      const epath = `${path}.egresses[${i}]`;
      if (!egress.service) {
        report(`${epath}.service`, "egress target service is required");
        return;
      }
      const target = drafts.get(egress.service);
      if (!target) {
        const known = [...drafts.keys()].filter((n) => n !== service.name);
        report(`${epath}.service`, `egress to unknown service ${quote(egress.service)} (services: ${known.slice(0, 20).join(", ") || "none"}${known.length > 20 ? ", ..." : ""})`);
        return;
      }
      let ingress = egress.ingress;
      const targetIngresses = target.ingresses.map((x) => x.name);
      if (!ingress) {
        if (targetIngresses.length === 0) {
          report(epath, `egress to "${egress.service}", which has no ingresses`);
          return;
        }
        if (targetIngresses.length > 1) {
          if (!targetIngresses.includes("default")) {
            report(
              `${epath}.ingress`,
              `ambiguous egress: "${egress.service}" has several ingresses (${targetIngresses.join(", ")}) and none is named`,
            );
            return;
          }
          ingress = "default";
        } else {
          ingress = targetIngresses[0] as string;
        }
      } else if (!targetIngresses.includes(ingress)) {
        report(
          `${epath}.ingress`,
          `egress to unknown ingress ${quote(ingress)} of "${egress.service}" (it has: ${targetIngresses.join(", ") || "none"})`,
        );
        return;
      }
      const name = egress.name || egress.service;
      if (!NAME.test(name)) report(`${epath}.name`, `egress name ${quote(name)} is malformed: ${NAME_RULE}`);
      const clash = names.get(name);
      if (clash !== undefined) report(`${epath}.name`, `duplicate egress name ${quote(name)} (also egresses[${clash}])`);
      names.set(name, i);
      draft.egresses.push({ name, service: egress.service, ingress });
    });
    if (drafts.get(service.name) === draft) graph.set(service.name, [...new Set(draft.egresses.map((e) => e.service))]);
    reportVariableClashes(draft, report);

    validateRequires(service, path, report);
    validateHooks(service.prestart, "prestart", draft, report);
    validateHooks(service.init, "init", draft, report);
    if (draft.type?.validate) {
      const problemsHere = { add: (p: string, m: string) => report(p ? `${path}.${p}` : path, m) };
      draft.type.validate({
        service: toPlanned(draft, []),
        problems: problemsHere,
        templates: templateScope(draft, drafts, hostEnv, problemsHere),
      });
    }
  }

  for (const cycle of findCycles(graph)) {
    report("services", `dependency cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  }

  if (problems.length > 0) throw new SpecInvalidError(problems);

  const order = topologicalOrder(graph);
  const services: PlannedService[] = order.map((name) => {
    const draft = drafts.get(name) as Draft;
    return toPlanned(draft, graph.get(name) ?? []);
  });
  services.push(testNode(services));
  return {
    name: spec.name || "env",
    services,
    observe: spec.observe,
    dir: spec.dir || defaults.dir,
    hostEnv,
    ttlMs,
    orphanGraceMs,
    stallTimeoutMs,
    callbackTimeoutMs,
  };
}

function planIngresses(
  service: Service,
  type: ServiceType | undefined,
  path: string,
  report: (path: string, message: string) => void,
): PlannedIngress[] {
  const defaultProtocol = type?.defaults.defaultProtocol;
  if (service.noIngress) {
    if (service.ingresses.length > 0) report(`${path}.no_ingress`, "no_ingress is set but ingresses are declared");
    return [];
  }
  let declared = service.ingresses;
  if (declared.length === 0) {
    if (defaultProtocol === undefined) return [];
    declared = [{ name: "default", protocol: defaultProtocol } as Ingress];
  }
  const seen = new Set<string>();
  const planned: PlannedIngress[] = [];
  declared.forEach((ingress, i) => {
    const ipath = `${path}.ingresses[${i}]`;
    let name = ingress.name;
    if (!name) {
      if (declared.length > 1) report(`${ipath}.name`, "name is required when a service has several ingresses");
      name = "default";
    } else if (!NAME.test(name)) {
      report(`${ipath}.name`, `ingress name ${quote(name)} is malformed: ${NAME_RULE}`);
    }
    if (seen.has(name)) report(`${ipath}.name`, `duplicate ingress name ${quote(name)}`);
    seen.add(name);
    const protocol = ingress.protocol || defaultProtocol || Protocol.TCP;
    if (!(protocol in Protocol)) report(`${ipath}.protocol`, `unknown protocol ${protocol}`);
    for (const [attr, value] of Object.entries(ingress.attributes ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(attr)) {
        report(`${ipath}.attributes`, `attribute name ${quote(attr)} is malformed: use letters, digits and '_'`);
      }
      for (const v of templateVariables(value)) {
        if (!(ATTRIBUTE_TEMPLATE_VARIABLES as readonly string[]).includes(v)) {
          report(
            `${ipath}.attributes.${attr}`,
            `template references unknown variable \${${v}} (attributes may use ${ATTRIBUTE_TEMPLATE_VARIABLES.map((x) => `\${${x}}`).join(", ")})`,
          );
        }
      }
    }
    if ((ingress.containerPort ?? 0) > 65535) report(`${ipath}.container_port`, `port ${ingress.containerPort} is out of range`);
    planned.push({
      name,
      protocol,
      ready: readinessPlan(ingress, protocol, type, ipath, report),
      attributes: { ...(ingress.attributes ?? {}) },
      containerPort: ingress.containerPort ?? 0,
    });
  });
  return planned;
}

/**
 * An ingress `db` and an egress `db` would both set DB_HOST, DB_PORT, ... and one would
 * silently win; so would egresses `order-db` and `order_db`. Each such pair is an error.
 */
function reportVariableClashes(draft: Draft, report: (path: string, message: string) => void): void {
  const owners = new Map<string, string>();
  for (const ingress of draft.ingresses) {
    if (ingress.name !== "default") owners.set(envPrefix(ingress.name), `its own ingress "${ingress.name}"`);
  }
  draft.egresses.forEach((egress) => {
    const prefix = envPrefix(egress.name);
    const owner = owners.get(prefix);
    const i = draft.spec.egresses.findIndex((e) => (e.name || e.service) === egress.name);
    if (owner === `egress "${egress.name}"`) return; // a duplicate name, reported as such
    if (owner) {
      report(
        `${draft.path}.egresses[${i}].name`,
        `egress "${egress.name}" and ${owner} would both set ${prefix}_HOST, ${prefix}_PORT, ...; ` +
          `give the egress another name (the egress's name field; as: in the TS SDK, name= in Python, EgressAs in Go)`,
      );
    } else {
      owners.set(prefix, `egress "${egress.name}"`);
    }
  });
}

/** Most resources one service may require (as many as one LockService Acquire may name). */
const MAX_REQUIRES = 64;

/** Service.requires: well-formed names, each once, not too many. */
function validateRequires(service: Service, path: string, report: (path: string, message: string) => void): void {
  if (service.requires.length > MAX_REQUIRES) {
    report(`${path}.requires`, `${service.requires.length} resources required; at most ${MAX_REQUIRES}`);
    return;
  }
  const seen = new Map<string, number>();
  service.requires.forEach((r, i) => {
    const rpath = `${path}.requires[${i}].resource`;
    const problem = resourceNameProblem(r.resource);
    if (problem) report(rpath, problem);
    const first = seen.get(r.resource);
    if (first !== undefined) report(rpath, `resource ${quote(r.resource)} is required twice (also requires[${first}]); require it once, shared or not`);
    else seen.set(r.resource, i);
  });
}

function validateHooks(
  hooks: readonly Hook[],
  phase: "prestart" | "init",
  draft: Draft,
  report: (path: string, message: string) => void,
): void {
  hooks.forEach((hook, i) => {
    const hpath = `${draft.path}.${phase}[${i}]`;
    switch (hook.action.case) {
      case undefined:
        report(hpath, "hook has no action: set one of client_func, sql, exec");
        break;
      case "clientFunc":
        if (!hook.action.value.name) report(`${hpath}.client_func.name`, "client_func hook needs the handler name");
        break;
      case "sql":
      case "exec": {
        const kind = hook.action.case;
        if (phase === "prestart") {
          report(hpath, `${kind} hooks run inside the started service, so they are init hooks, not prestart hooks`);
        } else if (draft.type && !draft.type.defaults.serverHooks.includes(kind)) {
          report(hpath, `${kind} hooks are not supported by type "${draft.typeName}"`);
        }
        if (kind === "sql" && hook.action.value.statements.length === 0) report(`${hpath}.sql.statements`, "no statements");
        if (kind === "exec" && hook.action.value.command.length === 0) report(`${hpath}.exec.command`, "no command");
        break;
      }
    }
  });
}

/** Attribute names a service's ingress will carry: declared ones plus the type's own. */
function attributeNames(draft: Draft, ingress: string): string[] {
  const declared = Object.keys(draft.ingresses.find((i) => i.name === ingress)?.attributes ?? {});
  return [...declared, ...(draft.type?.defaults.attributes ?? [])];
}

/**
 * The templates a type may check: every wiring variable the service will get (its own
 * ingresses, its egresses with their targets' attributes, RIG_*), the host env, and
 * what the type passes as `extra` (its config env).
 */
function templateScope(
  draft: Draft,
  drafts: ReadonlyMap<string, Draft>,
  hostEnv: Readonly<Record<string, string>>,
  problems: ProblemSink,
): TemplateScope {
  let known: Set<string> | undefined; // computed on first use: most services have no templates
  const knownNames = (): Set<string> =>
    (known ??= wiringVariableNames({
      ingresses: draft.ingresses.map((i) => ({ name: i.name, attributes: attributeNames(draft, i.name) })),
      egresses: draft.egresses.map((e) => {
        const target = drafts.get(e.service);
        return { name: e.name, attributes: target ? attributeNames(target, e.ingress) : [] };
      }),
    }));
  return {
    check(field, values, extra = {}) {
      values.forEach((value, i) => {
        for (const v of templateVariables(value)) {
          if (knownNames().has(v) || v in extra || v in hostEnv) continue;
          const hint = [...knownNames()].filter((k) => k.endsWith(v) || v.endsWith(k)).slice(0, 3);
          problems.add(
            `${field}[${i}]`,
            `template references unknown variable \${${v}}${hint.length ? ` (did you mean ${hint.map((h) => `\${${h}}`).join(", ")}?)` : ""}`,
          );
        }
      });
    },
  };
}

function toPlanned(draft: Draft, dependsOn: readonly string[]): PlannedService {
  return {
    name: draft.spec.name,
    type: draft.type?.name ?? draft.typeName,
    spec: draft.spec,
    config: draft.config,
    ingresses: draft.ingresses,
    egresses: draft.egresses,
    dependsOn,
    prestart: draft.spec.prestart,
    init: draft.spec.init,
    requires: draft.spec.requires.map((r) => ({ resource: r.resource, shared: r.shared })),
    internal: false,
  };
}

/** The virtual node that waits for every real service and reaches every real ingress. */
function testNode(services: readonly PlannedService[]): PlannedService {
  const egresses: PlannedEgress[] = services.flatMap((s) =>
    s.ingresses.map((i) => ({ name: i.name === "default" ? s.name : `${s.name}.${i.name}`, service: s.name, ingress: i.name })),
  );
  return {
    name: TEST_NODE,
    type: TEST_NODE_TYPE,
    spec: create(ServiceSchema, { name: TEST_NODE }),
    config: {},
    ingresses: [],
    egresses,
    dependsOn: services.map((s) => s.name),
    prestart: [],
    init: [],
    requires: [],
    internal: true,
  };
}

