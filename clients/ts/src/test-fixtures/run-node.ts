/** Runs a compiled fixture script as a separate test process and collects its output. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** How a fixture process ended. */
export interface NodeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** It was still running after `within` ms and was killed. */
  readonly timedOut?: boolean;
}

/** Path of a fixture in dist/test-fixtures by file name. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * Runs `node script` with extra env; never rejects for a non-zero exit. With `within`
 * (ms), a process still running by then is SIGKILLed and reported as `timedOut`.
 */
export function runNode(script: string, env: Readonly<Record<string, string>> = {}, within?: number): Promise<NodeRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // Set by node --test for its children; a fixture that is itself a test file must run standalone.
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [script], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  const timer = within === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill("SIGKILL")), within);
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
