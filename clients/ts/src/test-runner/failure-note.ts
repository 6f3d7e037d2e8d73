/**
 * A failed assertion as a `test.note`: its message and the `file:line` of the test code
 * that made it, so the environment's log shows the failure between the services' output
 * (what `env.T` did in the Go original; Python's pytest fixture does the same).
 */
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** What goes into the test.note of a failure. */
export interface FailureNote {
  /** `path:line` of the failing line in the test (relative to cwd), when the stack tells. */
  readonly location?: string;
  /** `location: message` (first lines of the error's message). */
  readonly message: string;
}

/** The note of a thrown value (an AssertionError, a vitest error record, anything). */
export function failureNote(error: unknown): FailureNote {
  const record = (typeof error === "object" && error !== null ? error : {}) as { message?: unknown; stack?: unknown };
  const text = typeof record.message === "string" ? record.message : String(error);
  const location = typeof record.stack === "string" ? testLocation(record.stack) : undefined;
  const message = text.split("\n").slice(0, 20).join("\n").slice(0, 4000);
  return { location, message: location ? `${location}: ${message}` : message };
}

/**
 * The first stack frame in test code: not node's internals, not node_modules, not this
 * SDK. Frames look like `at fn (/abs/file.js:12:5)`, `at file:///abs/file.js:12:5`.
 */
export function testLocation(stack: string): string | undefined {
  for (const line of stack.split("\n")) {
    const match = /^\s*at (?:.*?\()?((?:file:\/\/)?\/[^()]*?):(\d+):\d+\)?\s*$/.exec(line);
    if (!match) continue;
    const file = match[1]?.startsWith("file://") ? fileURLToPath(match[1]) : (match[1] ?? "");
    if (file.includes(`${sep}node_modules${sep}`) || isSdkFile(file)) continue;
    const shown = relative(process.cwd(), file);
    return `${shown.startsWith("..") ? file : shown}:${match[2]}`;
  }
  return undefined;
}

/** dist/ (or src/) of this SDK: its frames are not the test's (its own tests and their fixtures aside). */
const sdkRoot = fileURLToPath(new URL("../", import.meta.url));

function isSdkFile(file: string): boolean {
  return file.startsWith(sdkRoot) && !file.includes(`${sep}test-fixtures${sep}`) && !/\.spec\.[cm]?[jt]s$/.test(file);
}
