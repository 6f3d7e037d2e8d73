/**
 * A GET straight to the Docker engine's unix socket, without dockerode. rigd's start-up
 * reaper asks the engine at every start whether a dead rigd left anything, and the answer
 * is nearly always "no": that question must not cost loading dockerode (with ssh2,
 * grpc-js and protobufjs, ~150 modules and ~90 ms), which a process-only rigd never needs.
 */
import { request } from "node:http";

/** How long the engine gets to answer before the question counts as failed. */
const TIMEOUT_MS = 5000;

/**
 * The engine's unix socket as dockerode would find it (DOCKER_HOST, else the default
 * socket); undefined when DOCKER_HOST names another transport (tcp, ssh: ask dockerode).
 */
export function engineSocketPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env["DOCKER_HOST"];
  if (!host) return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

/** GETs `path` (e.g. `/containers/json`) from the engine at `socketPath` and parses the JSON answer. */
export function getEngineJson(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET", timeout: TIMEOUT_MS }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`the Docker engine answered GET ${path} with ${res.statusCode}: ${body.trim()}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`the Docker engine did not answer GET ${path} within ${TIMEOUT_MS} ms`)));
    req.end();
  });
}
