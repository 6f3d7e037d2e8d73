/**
 * The one dockerode client rigd shares between types, pools, artifacts and the reaper.
 */
import Docker from "dockerode";

/** A client for the engine named by DOCKER_HOST (or the default local socket). */
export function createDockerClient(): Docker {
  // dockerode reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH itself.
  return new Docker();
}

/** True when the engine answers a ping (used by tests to explain a missing engine). */
export async function engineReachable(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** The HTTP status of a dockerode error (404 no such container/image, 304 already stopped, ...). */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The engine's message of a dockerode error, without dockerode's "(HTTP code 404) ..." prefix. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}
