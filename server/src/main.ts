#!/usr/bin/env node
/**
 * rigd entry point: the composed orchestrator behind the API. Everything else (flags,
 * signals, serving, idle exit) is in rigd/.
 */
import { composeBackend } from "./rigd/compose-backend.js";
import { runRigdCli } from "./rigd/run-cli.js";

await runRigdCli(process.argv.slice(2), composeBackend);
