/**
 * What a closure (hook or func service) is told about its service: its own ingresses,
 * its egresses and its temp dirs, plus the same environment variables a process gets
 * (SPEC §7), so a closure can hand them on to anything it starts.
 */
import type { Wiring as WiringMessage } from "../gen/rig/v1/event_pb.js";
import type { Endpoint } from "./endpoint.js";
import { toEndpoints } from "./endpoint.js";

/** The wiring of one service, as given to its hooks and func. */
export class Wiring {
  /** The service's own endpoints, by ingress name. */
  readonly ingresses: Readonly<Record<string, Endpoint>>;
  /** Where the service's dependencies are, by egress name (a proxy when observing). */
  readonly egresses: Readonly<Record<string, Endpoint>>;
  /** Scratch directory of this service (`RIG_TEMP_DIR`). */
  readonly tempDir: string;
  /** Scratch directory shared by the whole environment (`RIG_ENV_DIR`). */
  readonly envDir: string;

  constructor(
    readonly service: string,
    message: WiringMessage | undefined,
  ) {
    this.ingresses = toEndpoints(message?.ingresses ?? {});
    this.egresses = toEndpoints(message?.egresses ?? {});
    this.tempDir = message?.tempDir ?? "";
    this.envDir = message?.envDir ?? "";
  }

  /** One of the service's own endpoints; throws naming the ingresses there are. */
  ingress(name = "default"): Endpoint {
    return pick(this.ingresses, name, `service "${this.service}" has no ingress`);
  }

  /** The endpoint of one egress; throws naming the egresses there are. */
  egress(name: string): Endpoint {
    return pick(this.egresses, name, `service "${this.service}" has no egress`);
  }

  /**
   * The wiring as environment variables, as a process service would get them:
   * RIG_SERVICE, RIG_TEMP_DIR, RIG_ENV_DIR, RIG_WIRING, HOST/PORT (+ attributes) for the
   * default ingress, NAME_HOST/NAME_PORT/NAME_ATTR for other ingresses and for egresses.
   */
  env(): Record<string, string> {
    const vars: Record<string, string> = {
      RIG_SERVICE: this.service,
      RIG_TEMP_DIR: this.tempDir,
      RIG_ENV_DIR: this.envDir,
      RIG_WIRING: JSON.stringify({
        ingresses: this.ingresses,
        egresses: this.egresses,
        temp_dir: this.tempDir,
        env_dir: this.envDir,
      }),
    };
    const add = (prefix: string, endpoint: Endpoint): void => {
      vars[`${prefix}HOST`] = endpoint.host;
      vars[`${prefix}PORT`] = String(endpoint.port);
      for (const [key, value] of Object.entries(endpoint.attributes)) vars[`${prefix}${key}`] = value;
    };
    for (const [name, endpoint] of Object.entries(this.egresses)) add(`${envName(name)}_`, endpoint);
    for (const [name, endpoint] of Object.entries(this.ingresses)) add(name === "default" ? "" : `${envName(name)}_`, endpoint);
    return vars;
  }
}

function envName(name: string): string {
  return name.toUpperCase().replace(/-/g, "_");
}

function pick(endpoints: Readonly<Record<string, Endpoint>>, name: string, what: string): Endpoint {
  const endpoint = endpoints[name];
  if (endpoint) return endpoint;
  const known = Object.keys(endpoints);
  throw new Error(`${what} "${name}" (it has ${known.length ? known.map((k) => `"${k}"`).join(", ") : "none"})`);
}
