/**
 * Finding executables: whether a path may be run, and a program's first runnable copy
 * in a PATH-style list of directories.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Whether `path` exists and may be executed by this process. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The directories of a PATH value (default: this process's PATH), empty entries left out. */
export function pathDirs(path: string | undefined = process.env["PATH"]): string[] {
  return (path ?? "").split(delimiter).filter((d) => d !== "");
}

/** Every `dir/name` of the PATH value, in order (runnable or not). */
export function candidatesOnPath(name: string, path?: string): string[] {
  return pathDirs(path).map((dir) => join(dir, name));
}

/** The first runnable `name` on the PATH value (default: this process's), or undefined. */
export function findOnPath(name: string, path?: string): string | undefined {
  return candidatesOnPath(name, path).find(isExecutable);
}
