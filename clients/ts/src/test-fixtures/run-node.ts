/** Runs a compiled fixture script as a separate test process and collects its output. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** How a fixture process ended. */
export interface NodeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Path of a fixture in dist/test-fixtures by file name. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Runs `node script` with extra env; never rejects for a non-zero exit. */
export function runNode(script: string, env: Readonly<Record<string, string>> = {}): Promise<NodeRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // Set by node --test for its children; a fixture that is itself a test file must run standalone.
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [script], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
