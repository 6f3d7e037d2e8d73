/**
 * Services never see rigd's token: RIG_TOKEN (the variable SDKs read it from) and any
 * variable holding the token value are removed from the environment a spec hands to its
 * services (host_env and each service's own env).
 */
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";

/** The variable SDKs read a token from when RIG_SERVER names a rigd. */
export const TOKEN_ENV_VAR = "RIG_TOKEN";

/** Removes RIG_TOKEN and every entry containing `token` from `env` (in place); returns the removed names. */
export function scrubEnv(env: Record<string, string>, token: string): string[] {
  const removed: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (name === TOKEN_ENV_VAR || value.includes(token)) {
      delete env[name];
      removed.push(name);
    }
  }
  return removed;
}

/** Scrubs the spec's host_env and the env of every service whose config has one (in place). */
export function scrubSpec(spec: EnvironmentSpec, token: string): string[] {
  const removed = scrubEnv(spec.hostEnv, token).map((name) => `host_env.${name}`);
  for (const service of spec.services) {
    const config = service.config.value as { env?: unknown } | undefined;
    if (config && typeof config.env === "object" && config.env !== null) {
      for (const name of scrubEnv(config.env as Record<string, string>, token)) removed.push(`${service.name}.env.${name}`);
    }
  }
  return removed;
}
