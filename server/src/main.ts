#!/usr/bin/env -S node --max-semi-space-size=32
/**
 * rigd entry point: the composed orchestrator behind the API. Everything else (flags,
 * signals, serving, idle exit) is in rigd/.
 *
 * V8's on-disk code cache (node:module enableCompileCache, in NODE_COMPILE_CACHE or the
 * OS temp dir) is switched on before anything else loads: compiling rigd's few hundred
 * modules is most of a cold start, and a rigd is spawned by the SDK the first time a test
 * needs it. For the same reason rigd runs as the one-file bundle beside this file when
 * the build made one and it is current (rigd/bundle-choice.ts); the modules are imported
 * dynamically, after the switch, only when it is not. The shebang gives node rigd's flags
 * (rigd/node-flags.ts) when `rigd` is run as a command.
 */
import { createRequire, enableCompileCache } from "node:module";
import { freshBundle } from "./rigd/bundle-choice.js";

enableCompileCache?.();
const bundle = freshBundle(import.meta.dirname);
if (bundle !== undefined) {
  createRequire(import.meta.url)(bundle);
} else if (process.argv[2] === "--rig-watchdog") {
  // A watchdog spawned by a rigd that ran the bundle, after the bundle went stale.
  const { runWatchdog } = await import("./os/watchdog-process.js");
  runWatchdog(Number(process.argv[3]));
} else {
  const { composeBackend } = await import("./rigd/compose-backend.js");
  const { runRigdCli } = await import("./rigd/run-cli.js");
  await runRigdCli(process.argv.slice(2), composeBackend);
}
