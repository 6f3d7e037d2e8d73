#!/usr/bin/env node
/**
 * rigd entry point: the real orchestrator behind the API. Everything else (flags,
 * signals, serving, idle exit) is in rigd/.
 */
import { Orchestrator } from "./orchestrator/orchestrator.js";
import { runRigdCli } from "./rigd/run-cli.js";

await runRigdCli(process.argv.slice(2), (context) => new Orchestrator(context));
