#!/usr/bin/env node
/**
 * rigd entry point: the composed orchestrator behind the API. Everything else (flags,
 * signals, serving, idle exit) is in rigd/.
 *
 * V8's on-disk code cache (node:module enableCompileCache, in NODE_COMPILE_CACHE or the
 * OS temp dir) is switched on before anything else loads: compiling rigd's few hundred
 * modules is most of a cold start, and a rigd is spawned by the SDK the first time a test
 * needs it. The modules are therefore imported dynamically, after the switch.
 */
import { enableCompileCache } from "node:module";

enableCompileCache?.();
const { composeBackend } = await import("./rigd/compose-backend.js");
const { runRigdCli } = await import("./rigd/run-cli.js");

await runRigdCli(process.argv.slice(2), composeBackend);
