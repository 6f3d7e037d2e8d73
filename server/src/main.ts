#!/usr/bin/env -S node --max-semi-space-size=32 --min-semi-space-size=32
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
// The bundle is rigd/binary-main.ts with everything it imports; without it, the same entry
// from the modules (rigd, or a watchdog a bundled rigd spawned before the bundle went stale).
if (bundle !== undefined) createRequire(import.meta.url)(bundle);
else await import("./rigd/binary-main.js");
