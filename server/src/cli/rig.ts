#!/usr/bin/env node
/** The `rig` executable (bin of @rig/server): see run-rig.ts and README.md. */
import { enableCompileCache } from "node:module";

// V8's code cache for rig's modules and its dependencies: a second run starts faster.
enableCompileCache?.();
const { runRig } = await import("./run-rig.js");
process.exitCode = await runRig(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: Date.now,
});
