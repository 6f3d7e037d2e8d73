/**
 * Calls straight to the Docker engine's unix socket, without dockerode: rigd's start-up
 * reaper asks the engine at every start whether a dead rigd left anything (nearly always
 * "no", which must not cost loading dockerode with ssh2, grpc-js and protobufjs: ~150
 * modules, ~90 ms), and the watchdog removes a dead rigd's containers and networks (a tiny
 * process that loads nothing it can do without).
 */
import { request } from "node:http";

/** How long the engine gets to answer before the call counts as failed. */
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

/** Sends `method path` to the engine at `socketPath`; the body of a 2xx answer, else a rejection saying what it answered. */
export function callEngine(socketPath: string, method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: TIMEOUT_MS }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) return reject(new Error(`the Docker engine answered ${method} ${path} with ${status}: ${body.trim()}`));
        resolve(body);
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`the Docker engine did not answer ${method} ${path} within ${TIMEOUT_MS} ms`)));
    req.end();
  });
}

/** GETs `path` (e.g. `/containers/json`) from the engine at `socketPath` and parses the JSON answer. */
export async function getEngineJson(socketPath: string, path: string): Promise<unknown> {
  return JSON.parse(await callEngine(socketPath, "GET", path)) as unknown;
}
