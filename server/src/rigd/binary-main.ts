/**
 * rigd's entry behind main.ts, and the entry esbuild bundles (server/bundle/): the
 * one-file bundle main.ts runs and the self-contained executable (`make rigd-binary`).
 * No top-level await, because a Node single executable application runs one CommonJS
 * script. The same entry is rigd's watchdog when started with `--rig-watchdog PID`
 * (os/watchdog.ts spawns it so: a bundle has no second script to run).
 */
import { WATCHDOG_FLAG } from "../os/watchdog.js";
import { runWatchdog } from "../os/watchdog-process.js";
import { composeBackend } from "./compose-backend.js";
import { runRigdCli } from "./run-cli.js";

const args = process.argv.slice(2);
if (args[0] === WATCHDOG_FLAG) runWatchdog(Number(args[1]));
else void runRigdCli(args, composeBackend);
