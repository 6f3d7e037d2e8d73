#!/usr/bin/env node
/** The `rig` executable (bin of @rig/server): see run-rig.ts and README.md. */
import { runRig } from "./run-rig.js";

process.exitCode = await runRig(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: Date.now,
});
